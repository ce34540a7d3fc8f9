"""Hardware drivers: transports, encoders and simulated twins. Never imports ``bridge``."""
