//! Shared set-up for the integration tests.

pub mod s3;
