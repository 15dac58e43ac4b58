//! The web channel served in-process on 127.0.0.1 (a free port), on the real engine and a
//! store in a fresh folder: what the web tests and the browser tests talk to.
#![allow(dead_code)]

use std::sync::Arc;

use madoguchi::channels::web::{self, Web};
use madoguchi::config::Config;
use madoguchi::serving::live::LiveEngine;
use madoguchi::serving::store::Store;

use super::common;

pub struct WebServer {
    pub base: String,
    pub store: Arc<Store>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _data: tempfile::TempDir,
}

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
    WebServer { base, store, stop: Some(stop), task, _data: data }
}

impl WebServer {
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}
