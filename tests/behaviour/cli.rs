//! The real binary, run as staff and outside checks run it.

use crate::bot_process::dialogs;
use crate::common;
use madoguchi::content::dialogs::template::fill;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn madoguchi() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    command.current_dir(common::repo()).env("MADOGUCHI_CACHE_DIR", common::cache_dir());
    command
}

fn run(args: &[&str]) -> (bool, String, String) {
    let output = madoguchi().args(args).output().expect("binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn index_check_passes_on_the_real_index() {
    let (ok, stdout, _) = run(&["index", "check"]);
    assert!(ok, "help: fix index/ so that `madoguchi index check` passes:\n{stdout}");
    assert!(stdout.contains("エラー 0 件"), "{stdout}");
}

#[test]
fn index_check_names_file_and_line_of_every_problem() {
    let (ok, stdout, _) = run(&["--config", "tests/fixtures/broken/config.toml", "index", "check"]);
    assert!(!ok, "a broken index must fail:\n{stdout}");
    for expected in [
        "index/town/typo.toml:6: エラー: 「for_who」という項目名は使えません",
        "index/town/bad-values.toml:1: エラー: id が「town/wrong-id」",
        "index/town/bad-values.toml:4: エラー: 分野「おでかけ」",
        "index/town/bad-values.toml:7: エラー: phone「でんわください」",
        "index/town/bad-values.toml:9: エラー: verified 2099-01-01 は未来の日付です",
        "index/town/syntax.toml:1: エラー: id の値の \" が閉じていません",
        "index/wording.toml:3: エラー: 言い換えの組に言葉が2つ以上ありません",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
    assert!(stdout.contains("→ "), "every problem carries a hint:\n{stdout}");
}

#[test]
fn ask_json_follows_the_shared_interface() {
    let (ok, stdout, stderr) = run(&["ask", "--json", "用賀に住んでます。母のもの忘れがひどくなってきた"]);
    assert!(ok, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(value["area"], "世田谷区");
    assert_eq!(value["question"], "用賀に住んでます。母のもの忘れがひどくなってきた");
    let answers = value["answers"].as_array().expect("answers");
    assert!(!answers.is_empty());
    for answer in answers {
        assert_eq!(answer["municipality"], "世田谷区");
        for key in ["id", "title", "score"] {
            assert!(!answer[key].is_null(), "answers[].{key} missing: {answer}");
        }
    }
    assert_eq!(value["kind"], "answer", "{value}");
}

#[test]
fn ask_prints_a_card_for_people() {
    let (ok, stdout, _) = run(&["ask", "--area", "大垣市", "墨俣で電球の交換を手伝ってほしい"]);
    assert!(ok);
    assert!(stdout.contains("(大垣市)"), "{stdout}");
    assert!(stdout.contains(&dialogs().texts.card.verified), "{stdout}");
}

/// Each kind of danger leads with its own contacts (graded replies, `dialogs/crisis.toml`).
#[test]
fn crisis_leads_with_the_contacts_of_its_kind() {
    for (question, first, also) in [
        ("もう死にたい", "0120-279-338", "119"),
        ("夫に毎日殴られている", "110", "#8008"),
        ("隣の家の子どもが毎晩叩かれて泣き叫んでいる", "189", "110"),
        ("父が台所で倒れて息をしていない", "119", "119"),
    ] {
        let (ok, stdout, _) = run(&["ask", question]);
        assert!(ok);
        let at = stdout.find(first).unwrap_or_else(|| panic!("{first} shown for {question}:\n{stdout}"));
        assert!(at < 400, "{first} comes first for {question}:\n{stdout}");
        assert!(stdout.contains(also), "{also} shown for {question}:\n{stdout}");
    }
}

#[test]
fn batch_from_stdin_answers_each_line_as_soon_as_it_is_read() {
    let mut child = madoguchi()
        .args(["ask", "--json", "--batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // Line by line: the answer to the first arrives before the second is sent.
    for (question, area) in [
        (r#"{"q": "西東京市で子ども食堂を探しています", "area": null}"#, Some("西東京市")),
        ("大垣市で配食のようなサービスはありますか", Some("大垣市")),
        ("", None),
    ] {
        writeln!(stdin, "{question}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
        assert_eq!(value["area"].as_str(), area, "{line}");
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn hostile_input_gets_a_reply_not_a_crash() {
    let long = "介護".repeat(2500);
    for question in ["", "😀😀😀", "\u{0001}\u{0007}\u{001b}[31m", "\"a\" AND (b:c) OR -d*", long.as_str(), "🧸"]
    {
        let (ok, stdout, stderr) = run(&["ask", "--json", question]);
        assert!(ok, "input {:?} failed: {stderr}", question.chars().take(20).collect::<String>());
        let value: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON");
        assert!(!value["general_windows"].as_array().unwrap().is_empty() || value["kind"] == "answer");
    }
}

#[test]
fn eval_reports_the_figures() {
    let (ok, stdout, _) = run(&["eval", "tests/questions.jsonl"]);
    assert!(ok);
    assert!(stdout.contains("top-1") && stdout.contains("MRR") && stdout.contains("crisis"), "{stdout}");
}

#[test]
fn a_missing_config_given_explicitly_is_an_error() {
    let (ok, _, stderr) = run(&["--config", "no-such.toml", "index", "check"]);
    assert!(!ok);
    assert!(stderr.starts_with("madoguchi: 設定ファイル no-such.toml を読めません"), "Japanese first: {stderr}");
}

#[test]
fn run_from_the_wrong_folder_says_so_once() {
    let elsewhere = tempfile::tempdir().unwrap();
    let output = madoguchi().current_dir(elsewhere.path()).args(["index", "check"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("このフォルダには config.toml も index/ もありません"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line, not one per missing file: {stderr}");
}

#[test]
fn an_area_the_engine_does_not_know_is_an_error() {
    let (ok, stdout, stderr) = run(&["ask", "--area", "東京都", "配食サービスを使いたい"]);
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("--area「東京都」はわかりません") && stderr.contains("世田谷区"), "{stderr}");
    // A district the places know is an area.
    let (ok, _, stderr) = run(&["ask", "--area", "用賀", "配食サービスを使いたい"]);
    assert!(ok, "{stderr}");
}

#[test]
fn chat_from_a_pipe_uses_the_dialog_texts() {
    let mut child = madoguchi().arg("chat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all("/start\n1\n配食サービスを使いたい\n".as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    let texts = &dialogs().texts;
    assert!(stdout.contains(texts.greeting.trim()), "greeting from dialogs/texts.toml:\n{stdout}");
    let first_area = fill(&texts.area_set, &[("area", "世田谷区")]);
    assert!(stdout.contains(&first_area), "button 1 chose the first area:\n{stdout}");
    assert!(stdout.contains("配食サービス(世田谷区)"), "the area is used:\n{stdout}");
}
