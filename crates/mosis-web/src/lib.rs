#![doc = include_str!("../README.md")]

mod actions;
pub mod admin;
mod api;
mod browser;
mod caller;
mod config;
mod download;
mod error;
mod health;
mod metrics;
mod middleware;
mod pages;
mod portal;
mod rate_limit;
mod review;
mod server;
mod state;
mod templates;
mod upload;
mod views;

pub use api::ApiDoc;
pub use config::{Config, LogFormat};
pub use error::ApiError;
pub use portal::{Portal, PortalKeys};
pub use server::{Background, Started, init_logging, run, start};
