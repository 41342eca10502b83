//! The storage layer against real backends: a local folder, an s3s server over HTTP,
//! and moto for what only it can do (versioning, delete markers, multipart listings).

mod answers;
mod artifacts;
mod backends;
mod contract;
mod local;
mod retries;
mod versioned;
