"""Word classes that make the structure of a message visible to a linear model.

Each class folds many surface words (English and Dutch) into one token, so that what the
model learns about "you are an idiot" carries to "jij bent een sukkel", and what it learns
about one identity group carries to every other group. Lists are lower-case and already
normalised (see :mod:`classifier.normalise`).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Second person: who is addressed.
YOU = _words("""
you your youre yours yourself yourselves u ur ya yall y'all thou
je jij jou jouw jullie u uw je zelf jezelf jouzelf jullie zelf
""")

#: A named or mentioned person (Slack mentions are normalised to ``usermention``).
PERSON = _words("""
usermention he him his she her hers himself herself hij hem zijn zij ze haar zichzelf
sanne jeroen kees daan tom mark lisa anna emma sophie julia eva lotte fleur noor
mohammed mohamed ahmed fatima aisha yusuf omar priya wei jan piet klaas henk bram
thijs ruben lars bas koen joost pieter sander niels sarah laura linda ingrid marieke
anouk femke iris esther petra wouter rik stijn mike john james david michael chris
jessica emily olivia kevin brian steve dave mehmet ayse samira youssef nadia karim
""")

#: Groups protected from discrimination (EN + NL, singular and plural).
IDENTITY = _words("""
women woman girls girl females female ladies lady feminists feminist
men man males
gays gay homosexuals homosexual lesbians lesbian bisexuals bisexual queers queer lgbt
lgbtq lgbtqia transgenders transgender trans transpeople transwomen transmen
muslims muslim moslims moslim islamites islamiet jews jew jewish joden jood joodse
christians christian christenen christen catholics katholieken hindus hindoes buddhists
blacks black africans african afrikanen afrikaan negroes zwarten zwarte
asians asian chinese aziaten aziaat chinezen chinees japanese indians indiërs
arabs arab arabieren arabier moroccans moroccan marokkanen marokkaan marokkaanse
turks turk turkish turken turkse poles polish polen pool poolse romanians roemenen
bulgarians bulgaren mexicans mexican latinos latino hispanics surinamers surinamer
surinaamse antillianen antilliaan antilliaanse somaliërs somaliers eritreeërs syriërs
immigrants immigrant migrants migrant refugees refugee asylum asielzoekers asielzoeker
vluchtelingen vluchteling allochtonen allochtoon buitenlanders buitenlander
expats foreigners foreigner gypsies roma zigeuners woonwagenbewoners
disabled handicapped cripples gehandicapten gehandicapte invaliden autists autistic
autisten autistische blind deaf doven doof
elderly older ouderen oudere bejaarden boomers
homo's homos homo lesbo's lesbo's lesbiennes lesbienne biseksuelen biseksueel
transpersonen transpersoon transgenders homoseksuelen homoseksueel vrouwen vrouw
meisjes meiden dames mannen moslima moslima's hoofddoekjes
""")

#: Dutch curse prefixes built on diseases and the like (kankerlijer, tyfushoer, klerewijf).
CURSE_PREFIXES = ("kanker", "kk", "kkr", "tering", "tyfus", "tiefus", "klere", "kolere",
                  "pleuris", "pokke", "pokken", "pest", "kut", "tiefe", "schurft")

#: Nouns that Dutch curse compounds are built on: a person, a group, an insult. A compound
#: with one of these is split and read as a curse (kanker_ lijer); others stay whole
#: (kankeronderzoek, klerenkast).
_PERSON_NOUNS_NL = _words("""
lijer lijers lijder lijders hoer hoeren wijf wijven jood joden mongool mongolen homo homo's
flikker flikkers turk turken marokkaan marokkanen neger negers nicht nichten kind kinderen
hond honden lul lullen trut trutten eikel eikels zak zakken vent venten kerel gozer
mens mensen idioot idioten debiel debielen aap apen varken varkens beest beesten
klootzak hufter hufters sukkel sukkels slet sletten teef teven kop koppen bek smoel
mof moffen buitenlander buitenlanders allochtoon allochtonen vluchteling vluchtelingen
moslim moslims zwarte zwarten chinees chinezen surinamer surinamers polen pool
baas collega collega's manager klant leraar juf meid meiden wuf vrouw vrouwen man mannen
jong jongen jongens gast gasten figuur type lelijkerd dwerg mongo spast spasten
""")
COMPOUND_HEADS = _PERSON_NOUNS_NL | _words("zooi bende ding dingen herrie weer")

#: Dutch one-word insults for a person that take a diminutive and a curse prefix.
_INSULT_NOUNS_NL = _words("""
sukkel idioot debiel eikel klootzak lul trut slet hoer teef hufter etter schoft mafkees
mafketel randdebiel klojo sul sufferd oen oelewapper nietsnut profiteur uitvreter kreng
sloerie zeikerd zeur stommeling stommerik sufkop domoor domkop dombo stomkop kluns
prutser nepper lulhannes zakkenwasser klootviool malloot halvegare imbeciel mongool mongo
sukkelaar uilskuiken rund smeerlap viezerik vuilak vuilbak hondenlul lamzak luiwammes
zuiplap junkie hoerenjong hoerenzoon schijterd lafaard bangerik watje snol slettenbak
gatlikker kontlikker hielenlikker slijmbal slijmerd huilebalk jankerd zeurpiet zeurkous
betweter pummel boerenpummel boerenlul lomperik botterik hork proleet tokkie leugenaar
oplichter bedrieger verrader psychopaat engerd griezel viespeuk pedo pedofiel
kinderlokker verkrachter pipo pannenkoek kutkop kuttenkop apenkop kaaskop
mislukkeling zielepiet zielenpoot kneus schoft schooier schurk
""")


def _diminutive(noun: str) -> str:
    """The Dutch diminutive of a noun, by the regular rules (sukkel -> sukkeltje, lul ->
    lulletje, idioot -> idiootje, slet -> sletje, mongo -> mongootje, kreng -> krengetje)."""
    vowels = "aeiouy"
    if noun.endswith(("tje", "je")):
        return noun
    if noun.endswith("ng"):
        return noun + "etje"
    if noun[-1] in vowels:
        return noun + ("o" if noun[-1] == "o" else "") + "tje"
    if noun.endswith(("el", "er", "en", "em")) and sum(c in vowels for c in noun) > 1:
        return noun + ("pje" if noun.endswith("em") else "tje")
    long_vowel = len(noun) > 2 and ((noun[-3] == noun[-2] and noun[-2] in vowels)
                                    or noun[-3:-1] in ("ie", "ij", "ui", "ou", "ei", "eu", "oe"))
    if noun[-1] in "lnrw":
        if long_vowel or (sum(c in vowels for c in noun) > 1 and noun[-2] not in vowels):
            return noun + "tje"
        return noun + noun[-1] + "etje" if noun[-2] in vowels else noun + "tje"
    if noun[-1] == "m":
        return noun + ("pje" if long_vowel else "metje")
    return noun + "je"


#: Group nouns among them: a curse compound on one of these is a slur (kankerjood).
_GROUP_NOUNS_NL = _words("""
jood joden mongool mongolen homo flikker flikkers turk turken marokkaan marokkanen neger
negers nicht nichten mof moffen buitenlander buitenlanders allochtoon allochtonen
vluchteling vluchtelingen moslim moslims zwarte zwarten chinees chinezen surinamer
surinamers polen pool mongo spast spasten
""")

#: Curse compounds: every prefix with every person noun (kankerlijer, tyfushoer,
#: teringjood, pokkenwijf), and the diminutives of the insult nouns (sukkeltje, lulletje).
CURSE_COMPOUNDS = frozenset(p + n for p in CURSE_PREFIXES for n in _PERSON_NOUNS_NL
                            if "'" not in n)
CURSE_SLURS = frozenset(p + n for p in CURSE_PREFIXES for n in _GROUP_NOUNS_NL)
DIMINUTIVES_NL = frozenset(_diminutive(n) for n in _INSULT_NOUNS_NL) - _INSULT_NOUNS_NL
#: Every Dutch insult above: the language decision takes them for Dutch even where
#: wordfreq lacks them (data/wordlists/build.py).
DUTCH_INSULTS = _INSULT_NOUNS_NL | DIMINUTIVES_NL | CURSE_COMPOUNDS | CURSE_SLURS

#: Slack emoji (see ``classifier/wordlists/emoji.tsv``) whose use in chat is hostile.
EMOJI_INSULT = _words("emoji_clown_face emoji_pile_of_poo emoji_face_vomiting")
EMOJI_DEHUMAN = _words("""
emoji_monkey_face emoji_monkey emoji_gorilla emoji_orangutan emoji_pig_face emoji_pig
emoji_rat emoji_cockroach emoji_banana emoji_worm
""")
EMOJI_THREAT = _words("emoji_kitchen_knife emoji_pistol emoji_bomb emoji_dagger emoji_coffin")
EMOJI_PROFANITY = _words("emoji_middle_finger emoji_face_with_symbols_on_mouth")
EMOJI_SEXUAL = _words("""
emoji_eggplant emoji_peach emoji_sweat_droplets emoji_tongue emoji_face_with_tongue
emoji_drooling_face emoji_banana
""")
#: Playful and friendly emoji: alone they are never harassment (issue 12: ":wink:" alone
#: scored 0.9997 sexual).
EMOJI_PLAYFUL = _words("""
emoji_winking_face emoji_grinning_face emoji_grinning_face_with_smiling_eyes
emoji_grinning_face_with_big_eyes emoji_grinning_squinting_face emoji_beaming_face_with_smiling_eyes
emoji_smiling_face_with_smiling_eyes emoji_slightly_smiling_face emoji_smiling_face
emoji_face_with_tears_of_joy emoji_rolling_on_the_floor_laughing emoji_grinning_face_with_sweat
emoji_upside_down_face emoji_winking_face_with_tongue emoji_smiling_face_with_sunglasses
emoji_thumbs_up emoji_red_heart emoji_folded_hands emoji_party_popper emoji_clapping_hands
emoji_waving_hand emoji_ok_hand emoji_raising_hands emoji_fire emoji_rocket
emoji_check_mark_button emoji_eyes emoji_thinking_face
emoji_smirking_face emoji_skull emoji_see_no_evil_monkey emoji_smiling_face_with_open_hands
emoji_smiling_face_with_heart_eyes emoji_face_blowing_a_kiss emoji_kissing_face
emoji_star_struck emoji_partying_face emoji_sparkles emoji_hundred_points
emoji_flexed_biceps emoji_relieved_face emoji_nerd_face
""")

#: Slurs (kept as words too: the model also sees the surface form).
SLUR = _words("""
nigger niggers nigga niggas negro negers neger kaffer kaffers faggot faggots fag fags
dyke dykes tranny trannies shemale retard retards retarded spastic spaz spic spics
kike kikes chink chinks gook gooks paki pakis wetback wetbacks towelhead towelheads
raghead ragheads sandnigger camel jockey beaner beaners gyp wog wogs coon coons
flikker flikkers mietje mietjes nicht poot potten pot lesbo dyke mongool mongolen
mongooltje mongo spast spasten debiel debielen geitenneuker geitenneukers
kutmarokkaan kutmarokkanen makaak makakken bruinjoekel zwartjoekel apenkop
kankerjood kankerjoden tyfusjood teringjood zandneger zandnegers poepchinees
spleetoog spleetogen tatta tatta's bosneger bosnegers nikker nikkers
kutturk kutturken kutneger geitenneukers bamivreter bamivreters pinda pinda's
kaaskop kaaskoppen mof moffen zigeunertuig flikkertje nichterig mietjes
mongolen mongooltjes spastisch spastje tyfusmongool kankermongool kankerneger
rolstoelmongool zwartjoekels makkaak makkaken apenras negerin negerinnen
""") | CURSE_SLURS

#: Insult nouns for a person.
INSULT = _words("""
idiot idiots moron morons imbecile imbeciles cretin loser losers clown clowns fool fools
dumbass dipshit jackass jerk jerks asshole assholes arsehole bastard bastards bitch
bitches cunt cunts dick dickhead prick pricks twat twats wanker wankers douche
douchebag scumbag scum creep creeps freak freaks parasite parasites leech leeches
pig pigs rat rats snake weasel worm vermin cockroach cockroaches trash garbage waste
nitwit dimwit halfwit numbskull muppet tosser pillock slag whore whores slut
sluts skank hoe hoes witch cow disgrace failure joke psycho lunatic
sukkel sukkels idioot idioten debiel eikel eikels klootzak klootzakken lul lullen
trut trutten slet sletten hoer hoeren teef teven kutwijf wijf loser losers zak zakken
rotzak rotzakken hufter hufters etter etters schoft schoften mafkees mafketel randdebiel
klojo sul sufferd oen oelewapper kneus kneuzen zielepiet zielenpoot nietsnut nietsnutten
profiteur profiteurs uitvreter uitvreters tuig gespuis ongedierte parasieten parasiet
kakkerlak kakkerlakken ratten rat varken varkens aap apen beesten beest kreng krengen
del sloerie zeikerd zeur zeikwijf kankerlijer teringlijer
tyfuslijer kankerhoer tyfushoer teringhoer kankerwijf lijer mislukkeling mislukkelingen
stomkop dombo domkop kluns prutser prutsers nepper
""") | _INSULT_NOUNS_NL | DIMINUTIVES_NL | EMOJI_INSULT | (CURSE_COMPOUNDS - CURSE_SLURS)

#: Adjectives that degrade a person or group.
NEGADJ = _words("""
stupid dumb idiotic moronic retarded brainless useless worthless pathetic disgusting
gross ugly fat lazy incompetent hopeless clueless dirty filthy smelly inferior subhuman
vile evil sick disgusting repulsive revolting despicable contemptible dishonest
untrustworthy dangerous primitive savage backward hysterical emotional weak ignorant
annoying creepy crazy insane mental nuts worthless talentless spineless miserable
dom dommer domme stom stomme achterlijk achterlijke debiel debiele dwaas idioot
nutteloos nutteloze waardeloos waardeloze zielig zielige walgelijk walgelijke smerig
smerige vies vieze lelijk lelijke dik dikke lui luie incompetent incompetente
hopeloos hopeloze vuil vuile minderwaardig minderwaardige gestoord gestoorde
ziek zieke gek gekke primitief primitieve achterlijk onbetrouwbaar onbetrouwbare
gevaarlijk gevaarlijke hysterisch hysterische zwak zwakke irritant irritante eng enge
geschift geschifte mislukt mislukte kansloos kansloze triest trieste laf laffe
""")

#: Violence verbs and nouns.
THREAT = _words("""
kill killed killing kills murder murdered murdering shoot shot shooting stab stabbed
stabbing hang hanged hanging lynch lynched beat beating punch punched hurt hurting
strangle strangled choke choked slaughter slaughtered exterminate exterminated
eliminate gas gassed burn burned burning bomb bombed destroy destroyed rape raped
raping execute executed deport deported die dead death bleed bury buried smash
break crush slit drown drowned torture tortured attack attacked
vermoorden vermoord vermoordt vermoorde doodmaken doodgemaakt dood doden doodt
neerschieten neergeschoten schieten schiet geschoten neersteken neergestoken steken
steek gestoken ophangen opgehangen hangen slaan sla slaat geslagen in elkaar
afmaken afgemaakt kapotmaken kapot vergassen vergast verbranden verbrand uitroeien
uitgeroeid deporteren gedeporteerd executeren verkrachten verkracht wurgen gewurgd
martelen gemarteld opblazen aanvallen aangevallen begraven verzuipen verdrinken
doodgaan doodgaat doodgegaan sterf sterven creperen crepeer crepeert kreperen
afmaak afmaakt neersteek neerschiet opknopen kapotslaan kapotgeslagen afranselen
aframmeling doodschieten doodsteken doodslaan doodgeslagen vermoordt vermoorde afknallen
""") | EMOJI_THREAT

#: Swear words and curses (profanity).
PROFANITY = _words("""
fuck fucking fucked fucker fuckers fuckin motherfucker motherfucking shit shitty
bullshit crap crappy damn damned goddamn goddammit hell bloody bollocks arse ass piss
pissed wtf ffs omfg stfu fck fk fking effing frigging freaking
kut kutje klote kloten kanker kankeren tering tyfus tyfuslijer godverdomme verdomme
godver getver gatverdamme gadverdamme shit fuck fucking pleuris pleur kolere klere
jezus jemig verdorie potverdorie potverdomme sodemieter sodemieteren tief tiefus
kanker_ tering_ tyfus_ klere_ kolere_ pleuris_ pest_ kut_ kk kkr
kkr_ kk_ tiefus_ tiefe_ pokke_ pokken_ schurft_ kutzooi klerezooi kankerzooi teringzooi
tyfuszooi pleurisop godverdomme gvd ggvd
""") | EMOJI_PROFANITY

#: Sexual words and body parts.
SEXUAL = _words("""
sex sexy sexual naked nude nudes boobs tits breasts ass butt booty pussy cock dick
penis vagina horny hot bed blowjob suck lick kiss touch grope fuck screw pic pics
picture photo photos lingerie underwear bra panties skirt legs body thighs curves
sleep sleeping bedroom
seks sexy naakt naaktfoto borsten tieten kont billen reet kut pik lul piemel geil
geile bed pijpen neuken naaien likken zoenen kussen aanraken betasten foto foto's
fotootje lingerie ondergoed bh slipje rokje benen lichaam dijen rondingen slapen
slaapkamer
""") | EMOJI_SEXUAL

#: Animals, vermin, disease, dirt: the vocabulary of dehumanisation.
DEHUMAN = _words("""
animals animal beasts beast apes ape monkeys monkey rats rat cockroaches cockroach
vermin parasites parasite pigs pig dogs dog insects insect plague disease cancer
virus infestation trash garbage filth scum subhuman subhumans savages savage
dieren dier beesten beest apen aap ratten rat kakkerlakken kakkerlak ongedierte
parasieten parasiet varkens varken honden hond insecten insect plaag pest ziekte
virus afval vuilnis tuig uitschot gespuis
""") | EMOJI_DEHUMAN

#: Words that condemn or report abuse: the vocabulary of counter-speech.
CONDEMN = _words("""
unacceptable inappropriate hurtful offensive racist racism sexist sexism homophobic
homophobia transphobic bigoted bigotry discrimination discriminatory harassment
harassing bullying wrong disgraceful unprofessional report reported reporting hr
vertrouwenspersoon confidant complaint disrespectful
onacceptabel ongepast kwetsend beledigend racistisch racisme seksistisch seksisme
homofoob homofobie transfoob discriminatie discriminerend intimidatie pesten
pesterij grensoverschrijdend respectloos melden gemeld melding klacht fout
""")

#: Verbs that report or quote what someone else said.
REPORT = _words("""
calling called call calls saying said say says wrote write writes writing posted
post posts joked joke joking
noemen noemt noemde noemden genoemd uitmaken uitgemaakt zeggen zegt zei gezegd
schrijven schrijft schreef
geschreven roepen roept riep geroepen uitschelden scheldt schold uitgescholden
grappen grapje grap
""")

#: Positive evaluation.
POSITIVE = _words("""
great good awesome amazing excellent brilliant fantastic nice cool love loved lovely
perfect wonderful impressive smart clever talented welcome proud thanks thank
respect valued appreciate appreciated beautiful best strong
goed goede geweldig geweldige top super mooi mooie prachtig prachtige fantastisch
knap knappe slim slimme getalenteerd welkom trots bedankt dank dankjewel dankje
respect gewaardeerd waardeer sterk sterke beste lekker vet gaaf tof toffe ziek
""")

#: Things at work: negativity aimed at these is not harassment.
WORKOBJ = _words("""
process processes bug bugs build builds server servers deploy deployment deadline
deadlines ticket tickets job jobs code test tests pipeline release meeting meetings
laptop printer wifi vpn database query script migration sprint backlog report
spreadsheet excel jira slack email mail monday mondays weather traffic coffee
proces processen bug bugs build server servers deadline deadlines ticket tickets
code test tests pipeline release vergadering vergaderingen overleg laptop printer
wifi database script sprint backlog rapport spreadsheet excel mail maandag
maandagen weer file koffie trein ns
""")

#: Exclusion: the vocabulary of bullying.
EXCLUDE = _words("""
nobody noone everyone everybody all belong welcome wanted wants want team leave
quit gone out outside invited invite alone laugh laughing
niemand iedereen allemaal hoort horen welkom wil willen team weg oprotten opzouten
ophoepelen vertrekken ontslag buiten uitgenodigd alleen lachen lacht uitlachen
""")

#: Words that set the scope of a negation.
NEGATORS = ("not", "no", "never", "niet", "geen", "nooit", "nor", "noch", "without", "zonder")

#: Function words that tell English from Dutch.
LANG_EN = _words("""
the a an and or but of to in on at for with from by is are was were be been being have
has had do does did will would can could should shall may might must this that these
those it its i me my we our they them their he she him her you your what which who whom
where when why how not no yes there here than then so very just about into over after
before because if while also only some any all more most other such own same too out up
down off again once please thanks hi hey okay ok sure let lets get got going gonna
""")
LANG_NL = _words("""
de het een en of maar van naar in op aan voor met uit door is zijn was waren ben bent
wordt worden werd heb hebt heeft hebben had hadden doe doet deed zal zullen zou zouden
kan kun kunt kunnen moet moeten mag mogen wil wilt dit dat deze die er hier daar wat
wie waar wanneer waarom hoe niet geen ja nee dan als ook nog al wel even toch gewoon
maar echt heel erg veel weer nu straks morgen gisteren vandaag ik mij mijn we wij ons
onze jullie hun hen ze zij jij jou jouw je u uw hij hem haar zich iets niets iemand
niemand alles allemaal graag bedankt hoi hallo doei goedemorgen oke oké jongens
""")

#: Class name -> member words. Order matters: the first class that lists a word wins.
CLASSES: dict[str, frozenset[str]] = {
    "SLUR": SLUR,
    "IDENTITY": IDENTITY,
    "YOU": YOU,
    "PERSON": PERSON,
    "INSULT": INSULT,
    "THREAT": THREAT,
    "DEHUMAN": DEHUMAN,
    "NEGADJ": NEGADJ,
    "PROFANITY": PROFANITY,
    "SEXUAL": SEXUAL,
    "CONDEMN": CONDEMN,
    "REPORT": REPORT,
    "POSITIVE": POSITIVE,
    "WORKOBJ": WORKOBJ,
    "EXCLUDE": EXCLUDE,
    "PLAYFUL": EMOJI_PLAYFUL,
}

#: Words that obfuscated spellings are mapped back to (f*ck, 1d10t, s l u t, fuuuck).
OFFENSIVE = SLUR | INSULT | PROFANITY | frozenset(
    w for w in NEGADJ | THREAT | SEXUAL if len(w) >= 4
)


def word_class(word: str) -> str | None:
    """Return the class of ``word`` (without scope prefix), or ``None``."""
    for name, members in CLASSES.items():
        if word in members:
            return name
    return None
