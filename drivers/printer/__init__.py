"""ESC/POS receipt printers: receipt models, profiles, encoding, decoding and transports."""
