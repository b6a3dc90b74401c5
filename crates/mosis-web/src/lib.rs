#![doc = include_str!("../README.md")]

pub mod admin;
mod api;
mod caller;
mod config;
mod download;
mod error;
mod health;
mod metrics;
mod middleware;
mod portal;
mod rate_limit;
mod server;
mod state;
mod upload;
mod views;

pub use api::ApiDoc;
pub use config::{Config, LogFormat};
pub use error::ApiError;
pub use portal::{Portal, PortalKeys};
pub use server::{Background, Started, init_logging, run, start};
