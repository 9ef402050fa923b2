//! Emulator of the Google services chatkey calls (being written).
