//! Accounts, sessions, throttling and first run, on both database dialects; the `user`
//! commands through the real binary.

mod bootstrap;
mod cli;
mod sessions;
mod sign_in;
