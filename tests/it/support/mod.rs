//! Shared set-up for the integration tests.

pub mod app;
pub mod browser;
pub mod db;
pub mod s3;
