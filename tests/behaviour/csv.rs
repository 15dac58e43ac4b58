//! `madoguchi export --csv` / `import --csv`: the real binary on a copy of index/ and dialogs/.

use crate::workspace;

use crate::workspace::Workspace;

/// An exported CSV, as rows of cells (header first), to edit as staff would in a spreadsheet.
struct Sheet {
    rows: Vec<Vec<String>>,
}

impl Sheet {
    fn read(path: &std::path::Path) -> Sheet {
        let text = std::fs::read_to_string(path).expect("CSV readable");
        let text = text.strip_prefix('\u{feff}').expect("the export starts with a BOM");
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        let rows = reader.records().map(|r| r.expect("CSV record").iter().map(str::to_string).collect()).collect();
        Sheet { rows }
    }

    fn write(&self, path: &std::path::Path) {
        let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
        for row in &self.rows {
            writer.write_record(row).expect("CSV written");
        }
        let mut bytes = "\u{feff}".as_bytes().to_vec();
        bytes.extend(writer.into_inner().expect("CSV written"));
        std::fs::write(path, bytes).expect("CSV saved");
    }

    fn column(&self, name: &str) -> usize {
        self.rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"))
    }

    /// The spreadsheet row number (header = 1) of an entry.
    fn row_of(&self, id: &str) -> usize {
        self.rows.iter().position(|r| r[0] == id).unwrap_or_else(|| panic!("no row {id}")) + 1
    }

    fn set(&mut self, id: &str, column: &str, value: &str) {
        let (row, column) = (self.row_of(id) - 1, self.column(column));
        self.rows[row][column] = value.to_string();
    }

    fn get(&self, id: &str, column: &str) -> &str {
        &self.rows[self.row_of(id) - 1][self.column(column)]
    }
}

fn exported(ws: &Workspace) -> Sheet {
    let out = ws.run(&["export", "--csv", "index.csv"]);
    assert!(out.ok, "export failed:\n{}{}", out.stdout, out.stderr);
    Sheet::read(&ws.path("index.csv"))
}

fn import(ws: &Workspace, sheet: &Sheet, extra: &[&str]) -> workspace::Output {
    sheet.write(&ws.path("edited.csv"));
    let mut args = vec!["import", "--csv", "edited.csv"];
    args.extend_from_slice(extra);
    ws.run(&args)
}

#[test]
fn export_writes_a_bom_the_template_columns_and_one_row_per_entry() {
    let ws = Workspace::new();
    let sheet = exported(&ws);
    let bytes = std::fs::read(ws.path("index.csv")).unwrap();
    assert!(bytes.starts_with("\u{feff}id,title,municipality,categories,".as_bytes()));
    assert_eq!(
        sheet.rows[0].join(","),
        "id,title,municipality,categories,summary,for_whom,provider,details,aliases,keywords,questions,\
         hours,phone,fax,email,address,url,source,verified"
    );
    let entry_files = ws.index_files().keys().filter(|p| p.components().count() == 2).count();
    assert_eq!(sheet.rows.len() - 1, entry_files, "one row per entry file");
    // Lists: one item per line in the cell.
    let aliases = sheet.get("setagaya/kosodate-coordinator", "aliases");
    assert_eq!(
        aliases.lines().collect::<Vec<_>>(),
        ["世田谷区地域子育て支援コーディネーター", "子育て支援コーディネーター", "子育てコーディネーター"]
    );
    assert_eq!(sheet.get("setagaya/kosodate-coordinator", "verified"), "2026-11-23");
}

#[test]
fn export_then_import_changes_nothing() {
    let ws = Workspace::new();
    let before = ws.index_files();
    let sheet = exported(&ws);
    let out = import(&ws, &sheet, &[]);
    assert!(out.ok, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("追加 0 件、変更 0 件、削除 0 件"), "{}", out.stdout);
    assert!(out.stdout.contains("エラー 0 件"), "{}", out.stdout);
    assert!(before == ws.index_files(), "help: an unedited CSV must leave every file byte-identical");
    // The file as exported, untouched by any CSV writer but ours, imports the same.
    let out = ws.run(&["import", "--csv", "index.csv"]);
    assert!(out.ok && out.stdout.contains("追加 0 件、変更 0 件、削除 0 件"), "{}", out.stdout);
    assert!(before == ws.index_files());
}

#[test]
fn an_edited_cell_changes_exactly_that_file() {
    let ws = Workspace::new();
    // Staff notes in the file: the import rewrites the changed values and keeps them.
    let file = ws.path("index/nishitokyo/food-drive.toml");
    let noted = std::fs::read_to_string(&file)
        .unwrap()
        .replacen("id = ", "# 2026-11 社協に確認済み\nid = ", 1)
        .replacen("\nkeywords = ", "\n# 住民の言い方を足すときはここ\nkeywords = ", 1);
    std::fs::write(&file, noted).unwrap();
    let before = ws.index_files();
    let mut sheet = exported(&ws);
    let id = "nishitokyo/food-drive";
    let keywords = format!("{}\nもったいない食品", sheet.get(id, "keywords"));
    sheet.set(id, "keywords", &keywords);
    // Excel saves a date it recognised as 2026/11/1.
    sheet.set(id, "verified", "2026/11/1");
    let row = sheet.row_of(id);
    let out = import(&ws, &sheet, &[]);
    assert!(out.ok, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!("変更: {row} 行目 {id} 「フードドライブ」 (変わった列: keywords, verified)")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("追加 0 件、変更 1 件、削除 0 件"), "{}", out.stdout);

    let after = ws.index_files();
    let changed: Vec<_> = before.keys().filter(|p| before[*p] != after[*p]).collect();
    assert_eq!(changed, [&std::path::PathBuf::from("nishitokyo/food-drive.toml")]);
    let text = String::from_utf8(after[&std::path::PathBuf::from("nishitokyo/food-drive.toml")].clone()).unwrap();
    assert!(text.contains("\"もったいない食品\""), "{text}");
    assert!(text.contains("\nverified = 2026-11-01\n"), "{text}");
    assert!(
        text.starts_with("# 2026-11 社協に確認済み\nid = \"nishitokyo/food-drive\"\ntitle = \"フードドライブ\"\n"),
        "{text}"
    );
    assert!(text.contains("\n# 住民の言い方を足すときはここ\nkeywords = "), "{text}");

    // The written file passes index check, and a second import of the same CSV is a no-op.
    let check = ws.run(&["index", "check"]);
    assert!(check.ok, "{}", check.stdout);
    let out = import(&ws, &sheet, &[]);
    assert!(out.stdout.contains("追加 0 件、変更 0 件、削除 0 件"), "{}", out.stdout);
}

#[test]
fn a_bad_csv_changes_nothing_and_names_row_and_column() {
    let ws = Workspace::new();
    let before = ws.index_files();
    let mut sheet = exported(&ws);
    sheet.set("setagaya/kosodate-coordinator", "categories", "子育て\nこそだて");
    sheet.set("nishitokyo/food-drive", "phone", "でんわしてね");
    sheet.set("ogaki/chiku-shakyo", "title", "");
    // A good edit in the same CSV is not written either.
    sheet.set("nishitokyo/link", "summary", "書き換えた説明");
    let out = import(&ws, &sheet, &[]);
    assert!(!out.ok, "a bad CSV must fail:\n{}", out.stdout);
    for (id, column, message) in [
        ("setagaya/kosodate-coordinator", "categories", "分野「こそだて」は dialogs/menu.toml にありません"),
        ("nishitokyo/food-drive", "phone", "phone「でんわしてね」は電話番号の形ではありません"),
        ("ogaki/chiku-shakyo", "title", "title が空です"),
    ] {
        let expected = format!("{} 行目・列「{column}」: エラー: {message}", sheet.row_of(id));
        assert!(out.stdout.contains(&expected), "missing {expected:?} in:\n{}", out.stdout);
    }
    assert!(out.stdout.contains("エラー 3 件"), "{}", out.stdout);
    assert!(out.stdout.contains("index/ は何も変えていません"), "{}", out.stdout);
    assert!(before == ws.index_files(), "help: a CSV with errors must not change any file");
}

#[test]
fn a_wrong_header_changes_nothing_and_names_the_column() {
    let ws = Workspace::new();
    let before = ws.index_files();
    let mut sheet = exported(&ws);
    let at = sheet.column("for_whom");
    sheet.rows[0][at] = "対象".to_string();
    let out = import(&ws, &sheet, &[]);
    assert!(!out.ok);
    assert!(out.stdout.contains("1 行目・列「対象」: エラー: 見出し「対象」は使えません"), "{}", out.stdout);
    assert!(out.stdout.contains("1 行目・列「for_whom」: エラー: 列「for_whom」がありません"), "{}", out.stdout);
    assert!(before == ws.index_files());

    // A CSV saved in Shift_JIS ("CSV (コンマ区切り)" in Japanese Excel) is refused as a whole.
    std::fs::write(ws.path("sjis.csv"), b"id,title\r\nsetagaya/a,\x8eq\x88\xe7\r\n").unwrap();
    let out = ws.run(&["import", "--csv", "sjis.csv"]);
    assert!(!out.ok && out.stdout.contains("UTF-8 ではありません"), "{}", out.stdout);
    assert!(before == ws.index_files());
}

#[test]
fn rules_across_entries_apply_to_rows() {
    let ws = Workspace::new();
    let before = ws.index_files();
    let mut sheet = exported(&ws);
    // A new row copying an existing one: same title in the same municipality, and a bad id.
    let mut copy = sheet.rows[sheet.row_of("setagaya/kosodate-coordinator") - 1].clone();
    copy[0] = "setagaya/kosodate-copy".to_string();
    sheet.rows.push(copy.clone());
    copy[0] = "tokyo/elsewhere".to_string();
    sheet.rows.push(copy);
    let out = import(&ws, &sheet, &[]);
    assert!(!out.ok);
    let (copy_row, bad_row) = (sheet.rows.len() - 1, sheet.rows.len());
    assert!(
        out.stdout.contains(&format!("{copy_row} 行目・列「title」: エラー: 「地域子育て支援コーディネーター」は")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("{bad_row} 行目・列「id」: エラー: id「tokyo/elsewhere」のフォルダ「tokyo」")),
        "{}",
        out.stdout
    );
    assert!(before == ws.index_files());
}

#[test]
fn rows_are_added_and_removed_only_with_allow_remove() {
    let ws = Workspace::new();
    let before = ws.index_files();
    let mut sheet = exported(&ws);
    let mut new = sheet.rows[sheet.row_of("nishitokyo/food-drive") - 1].clone();
    new[0] = "nishitokyo/food-bank".to_string();
    new[sheet.column("title")] = "フードバンク(テスト)".to_string();
    sheet.rows.push(new);
    let gone = sheet.row_of("ogaki/chiku-shakyo") - 1;
    sheet.rows.remove(gone);

    let out = import(&ws, &sheet, &[]);
    assert!(!out.ok, "a removal needs --allow-remove:\n{}", out.stdout);
    assert!(
        out.stdout.contains("項目「地区社会福祉推進協議会」(ogaki/chiku-shakyo)が CSV にありません"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("--allow-remove"), "{}", out.stdout);
    assert!(before == ws.index_files());

    let out = import(&ws, &sheet, &["--dry-run", "--allow-remove"]);
    assert!(out.ok && out.stdout.contains("追加 1 件、変更 0 件、削除 1 件"), "{}", out.stdout);
    assert!(before == ws.index_files(), "--dry-run writes nothing");

    let out = import(&ws, &sheet, &["--allow-remove"]);
    assert!(out.ok, "{}", out.stdout);
    assert!(out.stdout.contains("追加: "), "{}", out.stdout);
    assert!(out.stdout.contains("nishitokyo/food-bank 「フードバンク(テスト)」"), "{}", out.stdout);
    assert!(out.stdout.contains("削除: ogaki/chiku-shakyo 「地区社会福祉推進協議会」"), "{}", out.stdout);
    let after = ws.index_files();
    assert!(!after.contains_key(std::path::Path::new("ogaki/chiku-shakyo.toml")));
    assert!(after.contains_key(std::path::Path::new("nishitokyo/food-bank.toml")));
    assert_eq!(after.len(), before.len(), "one file added, one removed, no temporary files left");
    assert!(ws.run(&["index", "check"]).ok);

    // The general window cannot be removed: places.toml names it.
    let mut sheet = exported(&ws);
    let window = sheet.row_of("ogaki/ogaki-shakyo") - 1;
    sheet.rows.remove(window);
    let before = ws.index_files();
    let out = import(&ws, &sheet, &["--allow-remove"]);
    assert!(!out.ok, "{}", out.stdout);
    assert!(out.stdout.contains("general_window「ogaki/ogaki-shakyo」という項目が見つかりません"), "{}", out.stdout);
    assert!(before == ws.index_files());
}

#[test]
fn every_entry_written_in_the_canonical_layout_reads_back_equal() {
    use madoguchi::content::csv::entry_toml;
    use madoguchi::content::knowledge::entry::EntryRules;
    use madoguchi::content::knowledge::Entry;

    let ws = Workspace::new();
    let config = madoguchi::config::Config::load(&ws.path("config.toml"), true).unwrap();
    let today = madoguchi::app::today();
    let checked = madoguchi::app::check(&config, today);
    let knowledge = checked.knowledge.expect("the index loads");
    let names = knowledge.places.names();
    let labels = checked.dialogs.expect("dialogs load").menu.labels();
    let rules = EntryRules {
        municipalities: &names,
        categories: Some(&labels),
        today,
        max_age_months: 12,
        placeholders: &Default::default(),
    };
    for entry in &knowledge.entries {
        let text = entry_toml(entry);
        let path = ws.path("index").join(format!("{}.toml", entry.id));
        let (parsed, problems) = Entry::parse(&path, &entry.id, &text, &rules);
        assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}\n{text}");
        assert_eq!(parsed.as_ref(), Some(entry), "help: entry_toml must write what it was given:\n{text}");
    }
}

#[test]
fn entries_saved_where_the_loader_does_not_look_are_named_by_index_check() {
    let ws = Workspace::new();
    let entry = std::fs::read_to_string(ws.path("index/setagaya/anshin-guidebook.toml")).unwrap();
    for misplaced in [
        "index/kosodate-hiroba.toml",
        "index/setagaya-ku/kosodate-hiroba.toml",
        "index/setagaya/old/kosodate-hiroba.toml",
        "index/setagaya/kosodate-hiroba2.toml.txt",
        "index/setagaya/kosodate-hiroba3.TOML",
    ] {
        let path = ws.path(misplaced);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &entry).unwrap();
    }
    let out = ws.run(&["index", "check"]);
    assert!(!out.ok, "help: index check passed with entries it does not read\n{}", out.stdout);
    for (file, says) in [
        ("index/kosodate-hiroba.toml", "直接あるファイルは読み込まれません"),
        ("index/setagaya-ku", "places.toml の自治体のフォルダ"),
        ("index/setagaya/old", "フォルダの中のフォルダ"),
        ("index/setagaya/kosodate-hiroba2.toml.txt", "メモ帳"),
        ("index/setagaya/kosodate-hiroba3.TOML", "「.toml」ではありません"),
    ] {
        let line = out
            .stdout
            .lines()
            .position(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file} not named:\n{}", out.stdout));
        let said: String = out.stdout.lines().skip(line).take(2).collect::<Vec<_>>().join("\n");
        assert!(said.contains(says), "{file}: {said}");
    }
}
