//! The web channel in a real browser: Debian's chromium, headless, driven through
//! chromedriver (WebDriver) by fantoccini, against the server in-process. `.ci/run` installs
//! both; without them these tests fail and say what to install.
//!
//! Each test writes screenshots of what it saw to `target/browser-screenshots/` (phone and
//! desktop width), which README links.

#[path = "../support/common.rs"]
mod common;
#[path = "../support/web_server.rs"]
mod web_server;
#[path = "../support/workspace.rs"]
mod workspace;

mod browser;
mod console_http;
mod resident;
mod staff;
mod web_process;
