//! The staff commands of the CLI: `madoguchi explain`, `stats`, `unanswered`; the real binary
//! on a copy of index/, dialogs/ and a bot database made with the library's own store.

use crate::bot_process::dialogs;
use crate::workspace::Workspace;
use chrono::{Duration, Utc};
use madoguchi::answer::decision::Kind;
use madoguchi::conversation::dialog::Event;
use madoguchi::serving::store::Store;

fn explain(ws: &Workspace, args: &[&str]) -> String {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    let out = ws.run(&all);
    assert!(out.ok, "explain failed:\n{}{}", out.stdout, out.stderr);
    out.stdout
}

/// The value after `label: ` on its line.
fn field<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(label).and_then(|rest| rest.strip_prefix(": ")))
        .unwrap_or_else(|| panic!("no line {label:?} in:\n{text}"))
}

#[test]
fn explain_shows_terms_area_candidates_and_decision() {
    let ws = Workspace::new();
    let text = explain(&ws, &["用賀に住んでます。母のもの忘れがひどくなってきた"]);
    assert_eq!(field(&text, "質問"), "用賀に住んでます。母のもの忘れがひどくなってきた");
    assert_eq!(field(&text, "見つかった地名"), "用賀");
    assert_eq!(field(&text, "自治体"), "世田谷区(メッセージの地名から)");
    let terms = field(&text, "検索に使った言葉");
    assert!(terms.split(" / ").count() >= 2, "terms: {terms}");
    let bridged = field(&text, "言い換えで足した言葉(wording.toml の [[bridge]])");
    assert_eq!(field(&text, "判定"), "答え(answer)", "{text}");
    assert!(text.contains("以上なので、1位を答えとして出します"), "{text}");
    // Candidates: title, municipality, id, then confidence, BM25 and per matched word the field
    // of the entry it was found in.
    let first = text.lines().position(|l| l.starts_with("  1. ")).unwrap_or_else(|| panic!("no candidate:\n{text}"));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[first].contains("(世田谷区) setagaya/"), "{}", lines[first]);
    let scores = lines[first + 1];
    assert!(scores.contains("確かさ 0.") && scores.contains("BM25 "), "{scores}");
    assert_eq!(lines[first + 2].trim(), "一致した言葉:", "{text}");
    let known: Vec<&str> = terms.split(" / ").chain(bridged.split(" / ")).map(|t| t.trim_end_matches('＊')).collect();
    let matches: Vec<&str> = lines[first + 3..].iter().take_while(|l| l.starts_with("       ")).copied().collect();
    assert!(!matches.is_empty(), "{text}");
    const KEYS: [&str; 9] =
        ["title", "aliases", "keywords", "questions", "summary", "for_whom", "categories", "details", "provider"];
    for line in matches {
        let (word, place) = line.trim().split_once(" … ").unwrap_or_else(|| panic!("{line}"));
        let word = word.trim_end_matches("(言い換えで足した言葉)");
        assert!(known.contains(&word), "matched {word} ⊄ terms {terms} + bridged {bridged}");
        assert!(KEYS.iter().any(|k| place.starts_with(&format!("{k}「"))), "no field named: {line}");
    }
}

/// The suggestion lines of an explanation: the file, and the items for each key.
fn suggestion(text: &str) -> (std::path::PathBuf, Vec<(String, Vec<String>)>) {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains(" に次を足すと、答えが「"))
        .unwrap_or_else(|| panic!("no suggestion:\n{text}"));
    let file = lines[at].trim().split(" に次を足すと").next().unwrap();
    let mut changes = Vec::new();
    for line in &lines[at + 1..] {
        let Some((key, items)) = line.trim().split_once(" に: ") else { break };
        let parsed: toml::Table = toml::from_str(&format!("v = [{items}]")).unwrap_or_else(|e| panic!("{items}: {e}"));
        let items = parsed["v"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        changes.push((key.to_string(), items));
    }
    (file.into(), changes)
}

fn answer_of(ws: &Workspace, area: &str, question: &str) -> (String, String) {
    let json: serde_json::Value =
        serde_json::from_str(&run_ok(ws, &["ask", "--json", "--area", area, question])).unwrap();
    (json["kind"].as_str().unwrap().to_string(), json["answers"][0]["id"].as_str().unwrap_or("").to_string())
}

#[test]
fn explain_suggests_a_change_that_applied_to_the_file_makes_the_entry_the_answer() {
    let ws = Workspace::new();
    let (want, question) = ("setagaya/kosodate-coordinator", "うちの子の夜泣きがひどくて、もうくたくたです");
    assert_ne!(answer_of(&ws, "世田谷区", question), ("answer".into(), want.into()), "the case must start wrong");
    let text = explain(&ws, &["--area", "世田谷区", "--want", want, question]);
    assert!(
        text.contains(&format!("正しい答えとして指定された項目: 地域子育て支援コーディネーター(世田谷区) {want}")),
        "{text}"
    );
    assert!(field(&text, "  この項目にない質問の言葉").contains("夜泣き"), "{text}");
    let (file, changes) = suggestion(&text);
    assert_eq!(file, ws.path(&format!("index/{want}.toml")), "{text}");
    assert!(changes.iter().any(|(key, items)| key == "questions" && items == &[question.to_string()]), "{changes:?}");

    // Applied as staff would, to the file named.
    let mut document: toml_edit::DocumentMut = std::fs::read_to_string(&file).unwrap().parse().unwrap();
    for (key, items) in &changes {
        let list =
            document[key.as_str()].as_array_mut().unwrap_or_else(|| panic!("{key} is a list in {}", file.display()));
        items.iter().for_each(|item| list.push(item.as_str()));
    }
    std::fs::write(&file, document.to_string()).unwrap();
    let check = ws.run(&["index", "check"]);
    assert!(check.ok, "{}{}", check.stdout, check.stderr);
    assert_eq!(answer_of(&ws, "世田谷区", question), ("answer".into(), want.into()));
    // And explain now says there is nothing to change.
    let text = explain(&ws, &["--area", "世田谷区", "--want", want, question]);
    assert!(text.contains("すでにこの項目が答えです"), "{text}");
}

#[test]
fn an_unsure_answer_gets_suggestions_for_its_candidates_each_of_which_works() {
    let ws = Workspace::new();
    let question = "うちの子の夜泣きがひどくて、もうくたくたです";
    let text = explain(&ws, &["--area", "世田谷区", question]);
    assert_eq!(field(&text, "判定"), "答えなし(fallback)", "{text}");
    assert!(text.contains("近い候補のどれかが正しい答えなら:"), "{text}");
    let (file, changes) = suggestion(&text);
    let id = file.strip_prefix(ws.path("index")).unwrap().with_extension("");
    let mut document: toml_edit::DocumentMut = std::fs::read_to_string(&file).unwrap().parse().unwrap();
    for (key, items) in &changes {
        let list = document[key.as_str()].as_array_mut().unwrap();
        items.iter().for_each(|item| list.push(item.as_str()));
    }
    std::fs::write(&file, document.to_string()).unwrap();
    assert_eq!(answer_of(&ws, "世田谷区", question), ("answer".into(), id.to_string_lossy().into_owned()));
}

#[test]
fn want_names_an_entry_by_id_path_or_title_and_refuses_one_that_is_not_there() {
    let ws = Workspace::new();
    for name in ["setagaya/haishoku-service", "index/setagaya/haishoku-service.toml"] {
        let text = explain(&ws, &["--area", "世田谷区", "--want", name, "ごはんを届けてほしい"]);
        assert!(text.contains("正しい答えとして指定された項目: 配食サービス(世田谷区)"), "{name}: {text}");
    }
    let out = ws.run(&["explain", "--want", "setagaya/nai", "ごはん"]);
    assert!(!out.ok && out.stderr.contains("--want「setagaya/nai」という項目はありません"), "{}", out.stderr);
}

#[test]
fn explain_shows_bridges_the_given_area_and_a_fallback() {
    let ws = Workspace::new();
    let text = explain(&ws, &["--area", "世田谷区", "子どもをちょっと預かってほしい"]);
    assert_eq!(field(&text, "自治体"), "世田谷区(指定された自治体)");
    assert_ne!(field(&text, "言い換えで足した言葉(wording.toml の [[bridge]])"), "(なし)", "{text}");

    let text = explain(&ws, &["明日の天気は?"]);
    assert_eq!(field(&text, "判定"), "答えなし(fallback)", "{text}");
    assert_eq!(field(&text, "自治体"), "わからない(すべての自治体から探しました)");
    let windows = field(&text, "総合相談窓口");
    for municipality in ["世田谷区", "西東京市", "大垣市"] {
        assert!(windows.contains(municipality), "{windows}");
    }
}

#[test]
fn explain_shows_crisis_signals() {
    let ws = Workspace::new();
    let text = explain(&ws, &["もう生きていたくない"]);
    assert_eq!(field(&text, "判定"), "危険のサイン(crisis)", "{text}");
    assert_ne!(field(&text, "危険のサイン(dialogs/crisis.toml)"), "(なし)", "{text}");
}

fn asked(question: &str, kind: Kind, entry: Option<&str>) -> Event {
    Event::Asked {
        question: question.into(),
        kind,
        entry: entry.map(Into::into),
        score: Some(0.3),
        area: Some("西東京市".into()),
    }
}

/// A bot database in the workspace, as `madoguchi run` would have left it: two residents, a
/// few answers with feedback, two unsure questions holding personal data, one crisis.
fn bot_data(ws: &Workspace) -> std::path::PathBuf {
    let dir = ws.path("data");
    let store = Store::open(&dir).unwrap();
    let (one, two) = (store.chat_key(101), store.chat_key(102));
    let now = Utc::now();
    store
        .apply(
            &one,
            &[asked("子どもを預かってほしい", Kind::Answer, Some("nishitokyo/ichiji-azukari"))],
            now - Duration::hours(3),
        )
        .unwrap();
    store.apply(&one, &[Event::Feedback { entry: "nishitokyo/ichiji-azukari".into(), helpful: false }], now).unwrap();
    store
        .apply(&two, &[asked("介護の相談", Kind::Answer, Some("nishitokyo/chiiki-houkatsu"))], now - Duration::hours(2))
        .unwrap();
    store.apply(&two, &[Event::Feedback { entry: "nishitokyo/chiiki-houkatsu".into(), helpful: true }], now).unwrap();
    store.apply(&one, &[asked("もう死にたい", Kind::Crisis, None)], now - Duration::hours(1)).unwrap();
    store
        .apply(
            &two,
            &[asked("田無町4-5-6の者です。090-1234-5678に電話ください", Kind::Fallback, Some("nishitokyo/soudan"))],
            now - Duration::minutes(30),
        )
        .unwrap();
    store
        .apply(
            &one,
            &[asked("マイナンバー123456789012の再発行は?taro@example.jp", Kind::Fallback, None)],
            now - Duration::minutes(10),
        )
        .unwrap();
    // Outside a 7-day window.
    store
        .apply(&two, &[asked("先月の質問", Kind::Answer, Some("nishitokyo/chiiki-houkatsu"))], now - Duration::days(20))
        .unwrap();
    store.flush().unwrap();
    dir
}

fn run_ok(ws: &Workspace, args: &[&str]) -> String {
    let out = ws.run(args);
    assert!(out.ok, "{args:?} failed:\n{}{}", out.stdout, out.stderr);
    out.stdout
}

#[test]
fn stats_counts_the_window_and_flags_stale_entries() {
    let ws = Workspace::new();
    // One entry last verified long ago: index check warns, stats lists it.
    let path = ws.path("index/setagaya/kosodate-coordinator.toml");
    let entry = std::fs::read_to_string(&path).unwrap();
    let old = with_verified(&entry, "2020-04-01");
    std::fs::write(&path, old).unwrap();
    let data = bot_data(&ws);
    let data = data.to_str().unwrap();

    let json: serde_json::Value = serde_json::from_str(&run_ok(&ws, &["stats", "--json", "--data-dir", data])).unwrap();
    assert_eq!(json["days"], 7);
    assert_eq!(
        (json["questions"].as_u64(), json["answered"].as_u64(), json["unsure"].as_u64(), json["crisis"].as_u64()),
        (Some(5), Some(2), Some(2), Some(1)),
        "{json:#}"
    );
    let feedback: Vec<(String, u64, u64)> = json["feedback"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (f["id"].as_str().unwrap().to_string(), f["helpful"].as_u64().unwrap(), f["not_helpful"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        feedback,
        [("nishitokyo/ichiji-azukari".to_string(), 0, 1), ("nishitokyo/chiiki-houkatsu".to_string(), 1, 0)]
    );
    let hours: u64 = json["busiest_hours"].as_array().unwrap().iter().map(|h| h["questions"].as_u64().unwrap()).sum();
    assert!((1..=5).contains(&hours), "{json:#}");
    let stale: Vec<&str> = json["stale"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(stale, ["setagaya/kosodate-coordinator"], "{json:#}");

    // The same in words, and a longer window takes the old question in.
    let text = run_ok(&ws, &["stats", "--data-dir", data]);
    assert!(text.contains("質問: 5 件"), "{text}");
    assert!(text.contains("答えた 40% / 自信なし 40% / 危険のサイン 20%"), "{text}");
    assert!(text.contains("setagaya/kosodate-coordinator") && text.contains("2020-04-01"), "{text}");
    assert!(text.contains("👎 1"), "{text}");
    let text = run_ok(&ws, &["stats", "--days", "30", "--data-dir", data]);
    assert!(text.contains("質問: 6 件"), "{text}");
}

/// The entry with its `verified` date replaced.
fn with_verified(entry: &str, date: &str) -> String {
    entry
        .lines()
        .map(|l| if l.starts_with("verified = ") { format!("verified = {date}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn unanswered_lists_masked_questions_newest_first_until_marked_handled() {
    let ws = Workspace::new();
    let data = bot_data(&ws);
    let data = data.to_str().unwrap();
    let text = run_ok(&ws, &["unanswered", "--data-dir", data]);
    // The unsure questions and the one marked 違った, newest first, personal data masked.
    let newest = text.find("マイナンバー[番号]の再発行は?[メール]").unwrap_or_else(|| panic!("{text}"));
    let older = text.find("田無町[番地]の者です。[電話番号]に電話ください").unwrap_or_else(|| panic!("{text}"));
    assert!(newest < older, "{text}");
    for secret in ["123456789012", "taro@example.jp", "090-1234-5678", "4-5-6"] {
        assert!(!text.contains(secret), "{secret} shown:\n{text}");
    }
    assert!(!text.contains("死にたい"), "crises are not unanswered:\n{text}");
    // A confident answer the resident marked 違った is there too, with the answer it got.
    let wrong = text.find("子どもを預かってほしい").unwrap_or_else(|| panic!("違った is for staff to review:\n{text}"));
    assert!(text[wrong..].contains("住民が「違った」を押しました"), "{text}");

    let json: serde_json::Value =
        serde_json::from_str(&run_ok(&ws, &["unanswered", "--json", "-n", "1", "--data-dir", data])).unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 1, "-n 1");
    let key = items[0]["reference"].as_str().unwrap().to_string();
    assert!(text.contains(&format!("番号 {key}")), "the key is printed for --handled:\n{text}");

    let done = run_ok(&ws, &["unanswered", "--handled", &key, "--data-dir", data]);
    let staff = &dialogs().texts.staff;
    assert!(done.contains(staff.handled_done.trim()), "{done}");
    let again = ws.run(&["unanswered", "--handled", &key, "--data-dir", data]);
    assert!(again.ok && again.stdout.contains(staff.handled_already.trim()), "{}", again.stdout);
    let text = run_ok(&ws, &["unanswered", "--data-dir", data]);
    assert!(!text.contains("マイナンバー"), "the handled question is gone:\n{text}");
    assert!(text.contains("田無町[番地]"), "{text}");

    let bad = ws.run(&["unanswered", "--handled", "not-a-key", "--data-dir", data]);
    assert!(!bad.ok && bad.stderr.contains("not-a-key"), "{}", bad.stderr);
    let missing = ws.run(&["unanswered", "--handled", "ffffffff", "--data-dir", data]);
    assert!(!missing.ok && missing.stdout.contains(staff.handled_missing.trim()), "{}", missing.stdout);
}

#[test]
fn a_missing_database_is_a_clear_message_and_an_empty_one_is_a_report() {
    let ws = Workspace::new();
    let nowhere = ws.path("no-such-data");
    for command in ["stats", "unanswered"] {
        let out = ws.run(&[command, "--data-dir", nowhere.to_str().unwrap()]);
        assert!(!out.ok, "{command}");
        assert!(
            out.stderr.contains("ボットの記録がありません") && out.stderr.contains("no-such-data"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked") && !out.stderr.contains("Error:"), "{}", out.stderr);
        assert!(!nowhere.exists(), "no database was created by {command}");
    }
    // A database with no records yet.
    let empty = ws.path("empty");
    drop(Store::open(&empty).unwrap());
    let text = run_ok(&ws, &["stats", "--data-dir", empty.to_str().unwrap()]);
    assert!(text.contains("質問: 0 件"), "{text}");
    let text = run_ok(&ws, &["unanswered", "--data-dir", empty.to_str().unwrap()]);
    assert!(text.contains(dialogs().texts.staff.unanswered_none.trim()), "{text}");
    // MADOGUCHI_DATA_DIR is honoured like `run` does.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .current_dir(ws.dir.path())
        .env("MADOGUCHI_DATA_DIR", &empty)
        .args(["--config", ws.path("config.toml").to_str().unwrap(), "unanswered"])
        .output()
        .unwrap();
    assert!(
        out.status.success()
            && String::from_utf8_lossy(&out.stdout).contains(dialogs().texts.staff.unanswered_none.trim())
    );
}

#[test]
fn a_database_in_use_by_the_bot_is_a_clear_message() {
    let ws = Workspace::new();
    let data = bot_data(&ws);
    // The running bot holds sled's lock; the CLI must say what to do instead.
    let held = Store::open(&data).unwrap();
    let out = ws.run(&["stats", "--data-dir", data.to_str().unwrap()]);
    assert!(!out.ok);
    assert!(out.stderr.contains("use /stats and /unanswered in Telegram"), "{}", out.stderr);
    drop(held);
    assert!(ws.run(&["stats", "--data-dir", data.to_str().unwrap()]).ok);
}

#[test]
fn stats_while_the_bot_holds_the_database_says_so_in_japanese_first() {
    let ws = Workspace::new();
    let data = bot_data(&ws);
    // The running bot, as far as the database is concerned: this process holds its lock.
    let _bot = Store::open(&data).unwrap();
    for command in ["stats", "unanswered"] {
        let out = ws.run(&[command, "--data-dir", data.to_str().unwrap()]);
        assert!(!out.ok, "{command} opened a database the bot holds");
        let first = out.stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains("ボットが動いている間は、記録は Telegram の /stats・/unanswered で見てください"),
            "{command}: {}",
            out.stderr
        );
        assert!(!first.starts_with("Error") && !first.contains("WouldBlock"), "{command}: English first: {first}");
    }
}
