"""The gettext catalogues (package data): toonbot.pot, the template extracted from bot/messages
and the Discord command descriptions, and <code>/LC_MESSAGES/toonbot.po per language.
README.md ("Languages") has the pybabel commands that update them."""
