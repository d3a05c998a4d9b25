"""Date and time formats of the platform's screens that Django's Russian defaults get wrong or
differently (settings.FORMAT_MODULE_PATH); anything not set here stays Django's."""
