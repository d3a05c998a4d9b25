"""E-mail: letters read from an IMAP inbox, answers sent by SMTP (appeals under 59-FZ)."""
