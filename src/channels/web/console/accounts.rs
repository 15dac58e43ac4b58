//! `madoguchi staff add NAME`: an account of the console written into config.toml as
//! `[[web.staff]]` with the argon2 hash of its password, the rest of the file (comments,
//! layout) kept as it was.

use std::path::Path;

use anyhow::Context;
use toml_edit::{value, ArrayOfTables, DocumentMut, Item, Table};

use super::session::hash_password;

/// Adds `name` (or replaces its password) in the config file at `path`.
pub fn add(path: &Path, name: &str, password: &str) -> anyhow::Result<()> {
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 40 && !name.chars().any(char::is_control),
        "名前は1〜40文字で、制御文字なしにしてください / a name of 1 to 40 characters"
    );
    let text = std::fs::read_to_string(path).with_context(|| format!("{} を読めません", path.display()))?;
    let updated = with_account(&text, name, &hash_password(password)?).with_context(|| {
        format!("{} を TOML として読めません。index check のように直してから、もう一度どうぞ", path.display())
    })?;
    let temp = path.with_extension("toml.staff-add.tmp");
    std::fs::write(&temp, updated).with_context(|| format!("{} に書き込めません", temp.display()))?;
    // The file holds password hashes: it stays as readable as it was, no more.
    let permissions =
        std::fs::metadata(path).with_context(|| format!("{} を読めません", path.display()))?.permissions();
    std::fs::set_permissions(&temp, permissions)
        .with_context(|| format!("{} の権限を設定できません", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("{} を置き換えられません", path.display()))?;
    Ok(())
}

/// The config text with the account set (pure: the hash is given).
pub fn with_account(text: &str, name: &str, hash: &str) -> anyhow::Result<String> {
    let mut doc: DocumentMut = text.parse()?;
    let web = doc.entry("web").or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    let web = web.as_table_mut().context("[web] は表(テーブル)でなければなりません / [web] must be a table")?;
    let staff = web.entry("staff").or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
    let staff = staff.as_array_of_tables_mut().context("[web] staff は [[web.staff]] の並びにしてください")?;
    let existing = staff.iter().position(|t| t.get("name").and_then(|n| n.as_str()) == Some(name));
    match existing.and_then(|i| staff.get_mut(i)) {
        Some(account) => account["password_hash"] = value(hash),
        None => {
            let mut account = Table::new();
            account["name"] = value(name);
            account["password_hash"] = value(hash);
            staff.push(account);
        }
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_added_keeping_comments_and_replaced_by_name() {
        // Hashes in the PHC form (as config.toml must hold them), told apart by one letter.
        let phc = |last: char| {
            format!("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0E7s{last}z0hVwN6V8a1cU6d0y2eKpR0Qm0r7m0WQm1b2c0")
        };
        let (a, b, c) = (phc('A'), phc('B'), phc('C'));
        let text = "# 設定\nindex_dir = \"index\"\n\n[web]\n# 待ち受け\nlisten = \"127.0.0.1:8080\"\n";
        let once = with_account(text, "sato", &a).unwrap();
        assert!(once.starts_with("# 設定\n") && once.contains("# 待ち受け"));
        let config: crate::config::Config = crate::config::Config::parse(&once).unwrap();
        assert_eq!(config.web.staff.len(), 1);
        let twice = with_account(&once, "sato", &b).unwrap();
        let again = with_account(&twice, "suzuki", &c).unwrap();
        let config = crate::config::Config::parse(&again).unwrap();
        let hashes: Vec<_> = config.web.staff.iter().map(|a| (a.name.as_str(), a.password_hash.as_str())).collect();
        assert_eq!(hashes, [("sato", b.as_str()), ("suzuki", c.as_str())]);
    }
}
