"""Barcode scanners: keyboard-wedge (evdev) and serial, decoded into whole scans."""
