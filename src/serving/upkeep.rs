//! The store's upkeep while a channel serves: the data folder still there, failed
//! `/forget`s tried again, old question text purged, the sent journal emptied. Started once by
//! whichever channel opens the store (the bot, or `madoguchi web` alone).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::serving::store::Store;

/// Hourly: purges old question text and empties the sent journal. Every half minute: checks
/// that the data directory is still there (removed, everything would be gone at the restart).
pub async fn run(store: Arc<Store>, retention_days: u32) {
    let mut every = tokio::time::interval(Duration::from_secs(30));
    let mut ticks = 0u64;
    let mut told_removed = false;
    loop {
        every.tick().await;
        if !store.still_on_disk() {
            if !told_removed {
                tracing::error!(
                    "データフォルダ {} が消されたか置き換えられました。今の記録は再起動で失われます。フォルダを戻してから再起動してください。 / the data directory was removed or replaced while running: what is recorded now is lost at the next start",
                    store.dir().display()
                );
                told_removed = true;
            }
            continue;
        }
        told_removed = false;
        if store.retry_forgets() > 0 {
            tracing::warn!("some /forget requests are still not done; tried again in 30 s");
        }
        ticks += 1;
        if ticks % 120 != 1 {
            continue;
        }
        match store.purge_old_text(retention_days, Utc::now()) {
            Ok(0) => {}
            Ok(n) => tracing::info!("purged the text of {n} question(s) older than {retention_days} days"),
            Err(e) => tracing::error!("purging old records failed: {e}"),
        }
        let journal = store.clone();
        match tokio::task::spawn_blocking(move || journal.apply_sent_journal()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("cannot empty the sent journal: {e}"),
            Err(e) => tracing::error!("emptying the sent journal failed: {e}"),
        }
    }
}
