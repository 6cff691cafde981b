"""st_ad's version, written into generated modules and part of every cache key."""

VERSION = "0.1.0"
