//! The web channel served in-process on 127.0.0.1 (a free port), on the real engine and a
//! store in a fresh folder: what the web tests and the browser tests talk to.
#![allow(dead_code)]

use std::sync::Arc;

use madoguchi::channels::web::{self, Web};
use madoguchi::config::Config;
use madoguchi::serving::live::LiveEngine;
use madoguchi::serving::store::Store;

use super::common;
use super::workspace::Workspace;

pub struct WebServer {
    pub base: String,
    pub store: Arc<Store>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _data: tempfile::TempDir,
    /// The copy of index/ and dialogs/ an editable server serves (and staff write to).
    pub workspace: Option<Workspace>,
}

/// The staff account every console test signs in with.
pub const STAFF_NAME: &str = "sato";
pub const STAFF_PASSWORD: &str = "窓口のテスト用パスワード";

/// Serves the real index/ and dialogs/ with `adjust` applied to the config first.
pub async fn start(adjust: impl FnOnce(&mut Config)) -> WebServer {
    let mut config = common::config();
    adjust(&mut config);
    let data = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(data.path()).unwrap());
    let engine = tokio::task::spawn_blocking(move || madoguchi::app::open(&common::config(), madoguchi::app::today()))
        .await
        .unwrap()
        .expect("engine opens");
    let live = Arc::new(LiveEngine::fixed(Arc::new(engine)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let web = Arc::new(Web::new(live, store.clone(), &config));
    let task = tokio::spawn(web::serve(listener, web, async {
        let _ = stopped.await;
    }));
    WebServer { base, store, stop: Some(stop), task, _data: data, workspace: None }
}

/// A server on a copy of index/ and dialogs/, reloadable like the real one, with one staff
/// account ([`STAFF_NAME`]): for the console's tests, which write entries.
pub async fn start_editable() -> WebServer {
    let copy = Workspace::new();
    let mut config = common::config();
    config.index_dir = copy.path("index");
    config.dialogs_dir = copy.path("dialogs");
    let hash = madoguchi::channels::web::console::session::hash_password(STAFF_PASSWORD).unwrap();
    config.web.staff = vec![madoguchi::config::StaffAccount { name: STAFF_NAME.into(), password_hash: hash }];
    let data = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(data.path()).unwrap());
    let opened = config.clone();
    let live = tokio::task::spawn_blocking(move || LiveEngine::open(&opened, madoguchi::app::today()))
        .await
        .unwrap()
        .expect("engine opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let web = Arc::new(Web::new(Arc::new(live), store.clone(), &config));
    let task = tokio::spawn(web::serve(listener, web, async {
        let _ = stopped.await;
    }));
    WebServer { base, store, stop: Some(stop), task, _data: data, workspace: Some(copy) }
}

impl WebServer {
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}
