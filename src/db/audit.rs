//! Stored audit events (filled in below).
