//! artifact-console: the staff console of a multi-tenant crawl SaaS.
//!
//! Data flows one way: [`web`] and [`cli`] call the domain modules ([`artifacts`],
//! [`audit`], [`auth`], [`usage`], [`purge`]), which call [`storage`] and [`db`].
//! Storage and db never know about HTTP.

pub mod artifacts;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod purge;
pub mod storage;
pub mod telemetry;
pub mod usage;
pub mod web;
