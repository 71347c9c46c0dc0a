"""Haven: a Slack app that helps employees deal with harassment at work."""
