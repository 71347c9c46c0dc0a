"""Generate short template sentences about groups, people and things (English + Dutch).

Hand-written workplace chat teaches Haven context; these short templates teach it that the
*same* group words occur in hateful, neutral, positive, negated and counter-speech sentences,
so that a group name on its own never decides. Every template below was written for Haven.

Run ``python data/haven_templates/generate.py`` to rewrite ``templates.csv`` (deterministic).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 7

# (plural, singular with article) per language
GROUPS = {
    "en": [
        ("women", "a woman"), ("gay people", "gay"), ("trans people", "trans"),
        ("Muslims", "a Muslim"), ("Jews", "a Jew"), ("black people", "black"),
        ("immigrants", "an immigrant"), ("refugees", "a refugee"),
        ("disabled people", "disabled"), ("Moroccans", "Moroccan"), ("Turks", "Turkish"),
        ("Polish workers", "Polish"), ("Asians", "Asian"), ("Christians", "a Christian"),
        ("lesbians", "a lesbian"), ("bisexual people", "bisexual"),
        ("older workers", "over sixty"), ("Hindus", "a Hindu"), ("Arabs", "an Arab"),
        ("Surinamese people", "Surinamese"), ("autistic people", "autistic"),
    ],
    "nl": [
        ("vrouwen", "een vrouw"), ("homo's", "homo"), ("transpersonen", "trans"),
        ("moslims", "moslim"), ("joden", "joods"), ("zwarte mensen", "zwart"),
        ("migranten", "migrant"), ("vluchtelingen", "vluchteling"),
        ("gehandicapten", "gehandicapt"), ("Marokkanen", "Marokkaans"), ("Turken", "Turks"),
        ("Polen", "Pools"), ("Aziaten", "Aziatisch"), ("christenen", "christen"),
        ("lesbiennes", "lesbisch"), ("biseksuelen", "biseksueel"), ("ouderen", "boven de zestig"),
        ("hindoes", "hindoe"), ("Arabieren", "Arabisch"), ("Surinamers", "Surinaams"),
        ("autisten", "autistisch"),
    ],
}

# label, functionality, categories, template ({G} plural group, {g} singular/adjective)
GROUP_TEMPLATES = {
    "en": [
        (1, "derogation_group", "identity_hate", "I hate {G}."),
        (1, "derogation_group", "identity_hate", "I honestly can't stand {G}."),
        (1, "derogation_group", "insult;identity_hate", "{G} are disgusting."),
        (1, "derogation_group", "insult;identity_hate", "{G} are worthless, every one of them."),
        (1, "derogation_group", "insult;identity_hate", "All {G} are lazy and stupid."),
        (1, "dehumanisation", "insult;identity_hate", "{G} are vermin."),
        (1, "dehumanisation", "insult;identity_hate", "{G} are nothing but animals."),
        (1, "dehumanisation", "insult;identity_hate", "{G} are a disease in this company."),
        (1, "derogation_implicit", "identity_hate", "{G} belong in a cage, not in an office."),
        (1, "derogation_implicit", "identity_hate", "{G} should not be allowed to work here."),
        (1, "derogation_implicit", "identity_hate",
         "Of course the numbers are wrong, what did you expect from {G}."),
        (1, "threat_group", "threat;identity_hate", "{G} should all be shot."),
        (1, "threat_group", "threat;identity_hate", "We need to get rid of {G} for good."),
        (1, "threat_group", "threat;identity_hate", "Someone should burn down the homes of {G}."),
        (1, "negated_positive", "identity_hate", "{G} do not deserve any respect."),
        (1, "negated_positive", "identity_hate", "{G} are not real people."),
        (1, "negated_positive", "identity_hate", "Lives of {G} do not matter to me."),
        (1, "question_opinion", "identity_hate", "Why are {G} always so useless?"),
        (1, "question_opinion", "identity_hate", "I really think {G} are inferior."),
        (1, "derogation_group", "identity_hate",
         "I have worked with lots of {G} and I despise all of them."),
        (1, "profanity_insult", "insult;identity_hate;profanity",
         "{G} should shut the fuck up."),
        (0, "identity_neutral", "", "We are a group of {G}."),
        (0, "identity_neutral", "", "I am {g} and I work in finance."),
        (0, "identity_neutral", "", "My new manager is {g}."),
        (0, "identity_neutral", "", "Several {G} joined the team this year."),
        (0, "identity_neutral", "", "The network for {G} meets on Thursday."),
        (0, "identity_positive", "", "I love working with {G}."),
        (0, "identity_positive", "", "Honestly, I love our {G} colleagues."),
        (0, "identity_positive", "", "{G} are welcome here."),
        (0, "identity_positive", "", "{G} deserve the same rights as everyone else."),
        (0, "identity_positive", "", "{G} make this company better."),
        (0, "negation_benign", "", "No one deserves to die for being {g}."),
        (0, "negation_benign", "", "{G} are not the problem here."),
        (0, "negation_benign", "", "{G} are not disgusting, and nobody should say so."),
        (0, "counter_speech_reference", "", "Stop calling {G} disgusting."),
        (0, "counter_speech_reference", "", "Saying that {G} are vermin is plain hate."),
        (0, "counter_speech_reference", "", "Calling {G} animals is not a joke, it is bigotry."),
        (0, "counter_speech_quote", "", "\"{G} are scum\" is a hateful thing to say."),
        (0, "counter_speech_quote", "",
         "He posted \"{G} should all be shot\" and I reported it to HR."),
        (0, "counter_speech_quote", "", "I won't accept \"I hate {G}\" in this channel."),
    ],
    "nl": [
        (1, "derogation_group", "identity_hate", "Ik haat {G}."),
        (1, "derogation_group", "identity_hate", "Ik kan {G} echt niet uitstaan."),
        (1, "derogation_group", "insult;identity_hate", "{G} zijn walgelijk."),
        (1, "derogation_group", "insult;identity_hate", "{G} zijn waardeloos, allemaal."),
        (1, "derogation_group", "insult;identity_hate", "Alle {G} zijn lui en dom."),
        (1, "dehumanisation", "insult;identity_hate", "{G} zijn ongedierte."),
        (1, "dehumanisation", "insult;identity_hate", "{G} zijn gewoon beesten."),
        (1, "dehumanisation", "insult;identity_hate", "{G} zijn een ziekte in dit bedrijf."),
        (1, "derogation_implicit", "identity_hate", "{G} horen in een kooi, niet op kantoor."),
        (1, "derogation_implicit", "identity_hate", "{G} zouden hier niet mogen werken."),
        (1, "derogation_implicit", "identity_hate",
         "Natuurlijk kloppen de cijfers niet, wat verwacht je van {G}."),
        (1, "threat_group", "threat;identity_hate", "{G} moeten allemaal doodgeschoten worden."),
        (1, "threat_group", "threat;identity_hate", "We moeten voorgoed van {G} af."),
        (1, "threat_group", "threat;identity_hate",
         "Iemand moet de huizen van {G} in de fik steken."),
        (1, "negated_positive", "identity_hate", "{G} verdienen geen enkel respect."),
        (1, "negated_positive", "identity_hate", "{G} zijn geen echte mensen."),
        (1, "negated_positive", "identity_hate", "Het leven van {G} doet er voor mij niet toe."),
        (1, "question_opinion", "identity_hate", "Waarom zijn {G} altijd zo nutteloos?"),
        (1, "question_opinion", "identity_hate", "Ik vind echt dat {G} minderwaardig zijn."),
        (1, "derogation_group", "identity_hate",
         "Ik heb met veel {G} gewerkt en ik veracht ze allemaal."),
        (1, "profanity_insult", "insult;identity_hate;profanity",
         "{G} moeten hun kankerbek houden."),
        (0, "identity_neutral", "", "Wij zijn een groep {G}."),
        (0, "identity_neutral", "", "Ik ben {g} en ik werk bij financiën."),
        (0, "identity_neutral", "", "Mijn nieuwe manager is {g}."),
        (0, "identity_neutral", "", "Er zijn dit jaar een paar {G} bij het team gekomen."),
        (0, "identity_neutral", "", "Het netwerk voor {G} komt donderdag samen."),
        (0, "identity_positive", "", "Ik werk graag met {G}."),
        (0, "identity_positive", "", "Ik hou echt van onze collega's die {g} zijn."),
        (0, "identity_positive", "", "{G} zijn hier welkom."),
        (0, "identity_positive", "", "{G} verdienen dezelfde rechten als iedereen."),
        (0, "identity_positive", "", "{G} maken dit bedrijf beter."),
        (0, "negation_benign", "", "Niemand verdient het om te sterven omdat die {g} is."),
        (0, "negation_benign", "", "{G} zijn hier het probleem niet."),
        (0, "negation_benign", "", "{G} zijn niet walgelijk, en niemand moet dat zeggen."),
        (0, "counter_speech_reference", "", "Stop met {G} walgelijk te noemen."),
        (0, "counter_speech_reference", "", "Zeggen dat {G} ongedierte zijn is gewoon haat."),
        (0, "counter_speech_reference", "", "{G} beesten noemen is geen grap, het is racisme."),
        (0, "counter_speech_quote", "", "\"{G} zijn tuig\" is een haatdragende uitspraak."),
        (0, "counter_speech_quote", "",
         "Hij postte \"{G} moeten allemaal dood\" en ik heb het bij HR gemeld."),
        (0, "counter_speech_quote", "", "Ik accepteer \"ik haat {G}\" niet in dit kanaal."),
    ],
}

# Templates about one colleague ({P}: a name or "you") and about things.
OTHER_TEMPLATES = {
    "en": [
        (1, "insult_individual", "insult", "You make me sick."),
        (1, "insult_individual", "insult", "{P} is a pathetic excuse for a colleague."),
        (1, "insult_individual", "insult", "You are the dumbest person on this team."),
        (1, "threat_direct", "threat", "I'll make you regret this after work."),
        (1, "threat_direct", "threat", "I'm going to beat you up after work."),
        (1, "exclusion_bullying", "insult", "Nobody here wants to work with {P}."),
        (0, "neutral_chat", "", "I'll help you after work."),
        (0, "neutral_chat", "", "I'm going to {V} tomorrow."),
        (0, "neutral_chat", "", "I'll call you after work."),
        (0, "neutral_chat", "", "{P} is presenting the roadmap tomorrow."),
        (0, "banter", "", "You are the best person on this team."),
        (0, "negation_benign", "", "You are not the dumbest person here, the spec was."),
        (0, "target_object", "", "I hate {O}."),
        (0, "target_object", "", "I really can't stand {O}."),
        (0, "target_object", "", "{O} is disgusting, honestly."),
        (0, "target_object", "", "{O} should be destroyed."),
        (0, "profanity_intensifier", "profanity", "Get me the fuck out of {O}."),
        (0, "profanity_intensifier", "profanity", "Holy shit, {O} is actually good today."),
    ],
    "nl": [
        (1, "insult_individual", "insult", "Jij maakt me ziek."),
        (1, "insult_individual", "insult", "{P} is een zielig excuus voor een collega."),
        (1, "insult_individual", "insult", "Jij bent de domste persoon van dit team."),
        (1, "threat_direct", "threat", "Ik zorg dat je hier na het werk spijt van krijgt."),
        (1, "threat_direct", "threat", "Ik ga je na het werk in elkaar slaan."),
        (1, "exclusion_bullying", "insult", "Niemand hier wil met {P} samenwerken."),
        (0, "neutral_chat", "", "Ik ga je na het werk helpen."),
        (0, "neutral_chat", "", "Ik ga je morgen {V}."),
        (0, "neutral_chat", "", "Ik bel je na het werk."),
        (0, "neutral_chat", "", "{P} presenteert morgen de roadmap."),
        (0, "banter", "", "Jij bent de beste persoon van dit team."),
        (0, "negation_benign", "", "Jij bent hier niet de domste, de specificatie was het."),
        (0, "target_object", "", "Ik haat {O}."),
        (0, "target_object", "", "Ik kan {O} echt niet uitstaan."),
        (0, "target_object", "", "{O} is echt walgelijk."),
        (0, "target_object", "", "{O} moet gewoon vernietigd worden."),
        (0, "profanity_intensifier", "profanity", "Haal me godverdomme weg uit {O}."),
        (0, "profanity_intensifier", "profanity", "Holy shit, {O} is vandaag echt goed."),
    ],
}

PEOPLE = ["Sanne", "Jeroen", "Priya", "Mohammed", "Kees", "Fatima", "Tom", "Wei", "<@U0421QX>"]
OBJECTS = {
    "en": ["this printer", "Mondays", "the new expense tool", "cauliflower", "this meeting",
           "the VPN", "the coffee machine", "Jira"],
    "nl": ["deze printer", "maandagen", "de nieuwe declaratietool", "bloemkool",
           "deze vergadering", "de VPN", "het koffieapparaat", "Jira"],
}
VERBS = {
    "en": ["help you", "call you", "email you the slides", "introduce you to the team",
           "show you the new dashboard", "walk you through the release", "pick you up"],
    "nl": ["helpen", "bellen", "de slides mailen", "voorstellen aan het team",
           "het nieuwe dashboard laten zien", "door de release loodsen", "ophalen"],
}
GROUPS_PER_TEMPLATE = 9
FILLS_PER_OTHER = 5


def _capitalise(text: str) -> str:
    return text[0].upper() + text[1:] if text and text[0].islower() else text


def rows() -> list[dict[str, str]]:
    """All generated rows, deterministic for the seed."""
    rng = random.Random(SEED)
    out = []
    for lang, templates in GROUP_TEMPLATES.items():
        for label, functionality, cats, template in templates:
            for plural, singular in rng.sample(GROUPS[lang], GROUPS_PER_TEMPLATE):
                text = template.replace("{G}", plural).replace("{g}", singular)
                out.append({"text": _capitalise(text), "lang": lang,
                            "label": "harassing" if label else "benign",
                            "functionality": functionality, "categories": cats,
                            "pair_id": f"tpl-{lang}-{plural}"})
        for label, functionality, cats, template in OTHER_TEMPLATES[lang]:
            fills = {template.replace("{P}", p).replace("{O}", o).replace("{V}", v)
                     for p, o, v in zip(rng.sample(PEOPLE, FILLS_PER_OTHER),
                                        rng.sample(OBJECTS[lang], FILLS_PER_OTHER),
                                        rng.sample(VERBS[lang], FILLS_PER_OTHER), strict=True)}
            for text in sorted(fills):
                out.append({"text": _capitalise(text), "lang": lang,
                            "label": "harassing" if label else "benign",
                            "functionality": functionality, "categories": cats,
                            "pair_id": f"tpl-{lang}-other-{functionality}"})
    return out


def main() -> None:
    with (HERE / "templates.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "lang", "label", "functionality",
                                                    "categories", "pair_id"])
        writer.writeheader()
        writer.writerows(rows())


if __name__ == "__main__":
    main()
