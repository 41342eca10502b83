//! The one integration-test binary: every module here talks to real services
//! (PostgreSQL, an S3 server over HTTP, a headless browser).

mod storage;
mod support;

mod audit;
mod auth;
mod db;
mod usage;
mod web;
