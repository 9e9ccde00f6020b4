//! The Lancelot runtime kit: the host add-ons plug into. It resolves `FEATURE_*` flags
//! ([`flags`]), records receipts ([`receipts`]), keeps time through an injected clock ([`clock`]),
//! shows every add-on in the war room ([`war_room`]), and boots the add-ons of [`core`] through
//! the [`host`], which runs their [`jobs`] behind the system's READY state ([`ready`]) and their
//! dependencies' health, and keeps their [`state`] across restarts. [`run`] is the whole command
//! line; `main.rs` only calls it.
//!
//! This crate must stay small: no git, templating or prompt libraries (those belong to `xtask`),
//! and nothing here may panic on data read from disk, the environment or the user.

#![warn(missing_docs)]

mod cli;
pub mod clock;
pub mod core;
pub mod dotenv;
pub mod error;
pub mod flags;
pub mod host;
pub mod jobs;
pub mod ready;
pub mod receipts;
pub mod run_loop;
mod signals;
pub mod state;
pub mod war_room;

pub use cli::{run, run_with, Invocation, DEFAULT_STATE_DIR, RECEIPTS_FILE, STATE_DIR_VARIABLE};
pub use error::Error;
