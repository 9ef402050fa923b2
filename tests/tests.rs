//! chatkey's one integration-test binary; each module below says what it covers.

// The emulator against Google's discovery documents and OAuth behaviour.
mod emulator;
