//! The crisis layer on whole corpora of messages, and properties no rule may break.
//!
//! - `tests/crisis/corpus-danger.jsonl` and `corpus-safe.jsonl`: the tuning corpus, written in
//!   the team's own words (danger of every kind, and ordinary messages that share its words).
//!   Rules in `dialogs/crisis.toml` are written against it. The goal is the issue's: every
//!   urgent message gets the crisis reply, every disclosure at least the gentle lead, at most 1 %
//!   of the others the crisis reply; the test holds the figures reached so far.
//! - `tests/crisis/heldout.jsonl` and `heldout-2.jsonl`: written as held-out sets, and since
//!   2026-12-04 read for the rules too (their misses showed which ways of saying danger the
//!   rules lacked), so they are tuning sets now.
//! - `tests/crisis/heldout-3.jsonl` (written 2026-12-04) and `heldout-4.jsonl` (2026-12-07):
//!   written as held-out sets too, measured only until their misses were read for the rules on
//!   2026-12-07; tuning sets since.
//! - `tests/crisis/heldout-5.jsonl` (written 2026-12-07): held out while the fourth set's misses
//!   were read, then read itself the same day; a tuning set since.
//! - `tests/crisis/heldout-6.jsonl` (written 2026-12-07, 110 danger and 90 ordinary messages),
//!   by someone who saw neither the rules nor the other sets, before the rules were changed for
//!   the fifth set's misses: messages nobody tuned on. Measured and printed beside the corpus
//!   (`cargo test --test content -- --nocapture`), never a reason to change a rule for one
//!   message.
//! - `tests/crisis/heldout-7.jsonl` (written 2026-12-07 the same way, one danger in five told
//!   indirectly): 68/110 met when written; its misses were then read for the rules (signs with
//!   few danger words), so it is a tuning set.
//! - `tests/crisis/heldout-8.jsonl` and `heldout-9.jsonl` (written 2026-12-07 the same way, one
//!   danger in three told indirectly): 67/110 and 65/110 when written, then read for the rules.
//! - `tests/crisis/heldout-10.jsonl` (written 2026-12-07 the same way, while the others were
//!   read): measured, then five alternatives restored from its misses.
//! - `tests/crisis/heldout-11.jsonl` (written 2026-12-08 by a helper who read no file of the
//!   project): measured only, like the sixth.
//!
//! Each line: `{"text", "expect": "urgent" | "gentle" | "none", "kind", "note"}`; for urgent
//! lines `kind` is the crisis kind expected to lead, for the others a category of the corpus.

use crate::common;

use std::collections::BTreeMap;

use madoguchi::answer::decision::Kind;
use madoguchi::answer::engine::Engine;
use madoguchi::conversation::dialog::{respond, ChatState, Input};
use madoguchi::conversation::reply::render_plain;
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Line {
    text: String,
    expect: Expect,
    /// Absent (null) on ordinary lines of the held-out set, which have no category.
    #[serde(default)]
    kind: Option<String>,
    #[allow(dead_code)]
    note: String,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Expect {
    Urgent,
    Gentle,
    None,
}

fn corpus(name: &str) -> Vec<Line> {
    let path = common::repo().join("tests/crisis").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1)))
        .collect()
}

/// What the engine did with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// The crisis reply, led by this kind.
    Urgent(String),
    /// The answer, with this gentle kind's lead before it.
    Gentle(String),
    Answer,
}

fn outcome(engine: &Engine, text: &str) -> Outcome {
    let decision = engine.decide(text, None);
    match engine.crisis().lead(&decision.crisis) {
        Some(kind) if decision.kind == Kind::Crisis => Outcome::Urgent(kind.id.clone()),
        Some(kind) => Outcome::Gentle(kind.id.clone()),
        None => Outcome::Answer,
    }
}

/// Counts per group (the expected kind or the category).
#[derive(Default)]
struct Tally {
    total: usize,
    /// Urgent lines: got the crisis reply. Gentle lines: got at least the gentle lead.
    /// Others: got the crisis reply (a false alarm).
    hit: usize,
    /// Urgent lines led by the expected kind; other lines: got only a gentle lead.
    exact: usize,
    misses: Vec<String>,
}

struct Report {
    groups: BTreeMap<(u8, String), Tally>,
}

impl Report {
    fn of(engine: &Engine, lines: &[Line]) -> Report {
        let mut groups: BTreeMap<(u8, String), Tally> = BTreeMap::new();
        for line in lines {
            let got = outcome(engine, &line.text);
            let order = match line.expect {
                Expect::Urgent => 0,
                Expect::Gentle => 1,
                Expect::None => 2,
            };
            let group = line.kind.clone().unwrap_or_else(|| "-".into());
            let tally = groups.entry((order, group.clone())).or_default();
            tally.total += 1;
            let (hit, exact, shown) = match (line.expect, &got) {
                (Expect::Urgent, Outcome::Urgent(kind)) => (true, *kind == group, *kind != group),
                (Expect::Urgent, _) => (false, false, true),
                (Expect::Gentle, Outcome::Answer) => (false, false, true),
                (Expect::Gentle, _) => (true, matches!(got, Outcome::Gentle(_)), false),
                (Expect::None, Outcome::Urgent(_)) => (true, false, true),
                (Expect::None, Outcome::Gentle(_)) => (false, true, true),
                (Expect::None, Outcome::Answer) => (false, false, false),
            };
            tally.hit += hit as usize;
            tally.exact += exact as usize;
            if shown {
                tally.misses.push(format!("{got:?} ← {}", line.text));
            }
        }
        Report { groups }
    }

    fn sum(&self, order: u8) -> (usize, usize, usize) {
        self.groups
            .iter()
            .filter(|((o, _), _)| *o == order)
            .fold((0, 0, 0), |(t, h, e), (_, tally)| (t + tally.total, h + tally.hit, e + tally.exact))
    }

    fn print(&self, title: &str) {
        println!("== {title}");
        for ((order, group), t) in &self.groups {
            let what = match order {
                0 => format!(
                    "urgent {group}: crisis reply {}/{}, led by {group} {}/{}",
                    t.hit, t.total, t.exact, t.total
                ),
                1 => format!("gentle {group}: a lead {}/{}, gentle {}/{}", t.hit, t.total, t.exact, t.total),
                _ => format!("none {group}: false alarms {}/{}, gentle lead {}/{}", t.hit, t.total, t.exact, t.total),
            };
            println!("{what}");
            for miss in &t.misses {
                println!("    {miss}");
            }
        }
        let (ut, uh, ue) = self.sum(0);
        let (gt, gh, _) = self.sum(1);
        let (nt, nh, ne) = self.sum(2);
        println!("-- urgent recall {uh}/{ut} (kind right {ue}), gentle {gh}/{gt}, false alarms {nh}/{nt} (gentle leads {ne})");
    }
}

#[test]
fn every_danger_of_the_corpus_is_met_and_ordinary_messages_are_answered() {
    let engine = common::engine();
    let mut lines = corpus("corpus-danger.jsonl");
    lines.extend(corpus("corpus-safe.jsonl"));
    let report = Report::of(engine, &lines);
    report.print("tuning corpus (tests/crisis/corpus-*.jsonl)");
    let heldout = Report::of(engine, &corpus("heldout.jsonl"));
    heldout.print("held out (tests/crisis/heldout.jsonl, measured only)");
    let second = Report::of(engine, &corpus("heldout-2.jsonl"));
    second.print("held out, second set (tests/crisis/heldout-2.jsonl, written 2026-12-03, tuned on since 2026-12-04)");
    let third = Report::of(engine, &corpus("heldout-3.jsonl"));
    third.print("held out, third set (tests/crisis/heldout-3.jsonl, written 2026-12-04, tuned on since 2026-12-07)");
    let fourth = Report::of(engine, &corpus("heldout-4.jsonl"));
    fourth.print("held out, fourth set (tests/crisis/heldout-4.jsonl, written 2026-12-07, tuned on since 2026-12-07)");
    let fifth = Report::of(engine, &corpus("heldout-5.jsonl"));
    fifth.print("held out, fifth set (tests/crisis/heldout-5.jsonl, written 2026-12-07, tuned on since 2026-12-07)");
    let sixth = Report::of(engine, &corpus("heldout-6.jsonl"));
    sixth.print("held out, sixth set (tests/crisis/heldout-6.jsonl, written 2026-12-07, measured only)");
    let seventh = Report::of(engine, &corpus("heldout-7.jsonl"));
    seventh
        .print("held out, seventh set (tests/crisis/heldout-7.jsonl, written 2026-12-07, tuned on since 2026-12-07)");
    let eighth = Report::of(engine, &corpus("heldout-8.jsonl"));
    eighth.print("held out, eighth set (tests/crisis/heldout-8.jsonl, written 2026-12-07, tuned on since 2026-12-07)");
    let ninth = Report::of(engine, &corpus("heldout-9.jsonl"));
    ninth.print("held out, ninth set (tests/crisis/heldout-9.jsonl, written 2026-12-07, tuned on since 2026-12-07)");
    let tenth = Report::of(engine, &corpus("heldout-10.jsonl"));
    tenth.print("held out, tenth set (tests/crisis/heldout-10.jsonl, written 2026-12-07, partly read)");
    let eleventh = Report::of(engine, &corpus("heldout-11.jsonl"));
    eleventh.print("held out, eleventh set (tests/crisis/heldout-11.jsonl, written 2026-12-08, measured only)");

    let (urgent, met, _) = report.sum(0);
    let (gentle, led, _) = report.sum(1);
    let (others, alarms, _) = report.sum(2);
    assert!(urgent >= 300 && others >= 300, "the corpus holds {urgent} danger and {others} ordinary messages");
    // The bar is every urgent message met, every disclosure led, at most 1 % false
    // alarms. Not reached yet (the figures are printed above and in the note); these are
    // the figures reached so far (2026-12-07), so a rule change can only move them towards the bar.
    // Raise them with every improvement; never lower them.
    const URGENT_MET: usize = 336;
    const GENTLE_LED: usize = 31;
    // 9 since 2026-12-07 (the resolved words 解決, 捕まる, 逮捕).
    const FALSE_ALARMS: usize = 9;
    assert!(
        met >= URGENT_MET,
        "urgent messages met {met} of {urgent}: fewer than the {URGENT_MET} reached before (misses listed above)"
    );
    assert!(
        led >= GENTLE_LED,
        "disclosures led {led} of {gentle}: fewer than the {GENTLE_LED} reached before (misses listed above)"
    );
    assert!(
        alarms <= FALSE_ALARMS,
        "false alarms {alarms} of {others}: more than the {FALSE_ALARMS} reached before (listed above)"
    );
}

/// Written for the mechanisms, not taken from any corpus: danger typed in hiragana (the
/// dictionary splits kana verbs by guesswork), in romaji or English, in regional endings, and
/// ordinary messages holding the same kana.
#[test]
fn danger_in_kana_romaji_english_or_dialect_is_read_as_if_written_with_kanji() {
    let engine = common::engine();
    for (text, kind) in [
        ("ははが たおれて うごかない", "emergency"),
        ("くすりを30じょう のんだ", "suicide_act"),
        ("しぬしかないのかな", "suicidal"),
        ("おとうさんに けられた いたい", "violence"),
        ("mou shinitai", "suicidal"),
        ("kusuri zenbu nonda", "suicide_act"),
        ("I want to die", "suicidal"),
        ("my husband hits me every night", "violence"),
        ("もう死にたか", "suicidal"),
        ("ほんまに死にてえわ", "suicidal"),
        ("じいちゃんが息しとらん", "emergency"),
        ("しにたぃ", "suicidal"),
        ("夫に首を絞められた", "violence"),
        // Watching a story is no frame for what happens meanwhile.
        ("ドラマを見ていたら夫に殴られた", "violence"),
        // ている said as one word.
        ("台所で父が倒れてる", "emergency"),
        // Asking what to do is no supposition; a story denied, a stage, a stay in hospital told
        // before the act, an earlier time of the same words, a worry about someone's safety:
        // none of them makes the danger past, a story or a worry.
        ("死にたい時はどうしたらいいですか", "suicidal"),
        ("血が止まらないときどうすればいいですか", "emergency"),
        ("親に殴られる時どうすればいい", "violence"),
        ("これはドラマの話じゃなくて、本当に夫に殴られています", "violence"),
        ("娘が舞台で倒れた", "emergency"),
        ("入院中の母が睡眠薬を全部飲んだ", "suicide_act"),
        ("以前入院していた娘が薬を大量に飲んだ", "suicide_act"),
        ("前にも死にたいと思ったことがあるけど、今本当に死にたい", "suicidal"),
        ("前にも倒れたことがあるけど、今また父が倒れた", "emergency"),
        ("3年前に離婚した元夫が家に来て包丁を振り回している。無事でいられるかわからない", "violence"),
        // A word typed again and again without a break; a dialect ending drawn out; the
        // godan continuative before て at the end (standard Japanese has 死んで).
        ("きえたいきえたいきえたいもうむり", "suicidal"),
        ("もうあかん、死にてぇーー", "suicidal"),
        ("仕事も家もなくなった。わしはもう死にて", "suicidal"),
        // The same rule met as written in an earlier sentence, in another modality, must not
        // hide the one the kana reading finds now.
        ("昔は死ぬしかないと思っていた。でもいまも しぬしかないのかな", "suicidal"),
        ("友達が死にたいって言ってた。わたしも しぬしかないのかな", "suicidal"),
    ] {
        assert_eq!(outcome(engine, text), Outcome::Urgent(kind.into()), "{text}");
    }
    for text in [
        "しにものぐるいで勉強して合格しました。奨学金の相談はどこですか",
        "ためしにたべてみたら、おいしかった",
        "できることを教えてください",
        "暑すぎて死ぬかと思った。クールシェアの場所を教えて",
        "help me find a daycare in Setagaya",
        "小学生くらいの子が参加できる地域のイベントはありますか",
        // Kana that spell a crisis word's form inside another word, or adjective stems.
        "わたしはひとりでくらしています",
        "からだのうごかしかたを おしえてほしい。めがわるいので",
        "川の近くに住んでいますが、もうとんでもない雨で困っています",
        "海の家のバイト、もうとんでもない忙しさでした",
        "ぼくはひとりで2じかんくらいまってた",
        // Rules for situations that must not take ordinary ones.
        "2歳の子供が暴れて大変です。子育ての相談はどこですか",
        "おばあちゃんが死んだって言ってた",
        "宿題をやったけど、もう遅いと先生に言われた",
        "薬を飲んだけど、もう遅いので寝ます",
        "電話を切ったけど、もう遅かった",
        // The ordinary て-form of the same verbs, and an experience told as over.
        "書類が消えてしまって困っています",
        "父が亡くなって一年、遺品の整理を手伝ってくれるところはありますか",
        "会議が終わって帰りました。明日の予定を知りたい",
        "祖母は前に風呂場で倒れたことがありますが、いまは手すりをつけて元気です。介護用品の補助はありますか",
        // Told as happening in a story or a report.
        "小説の中で主人公が死にたいと泣く場面、読んでいてつらくなりました",
        "ニュースで高齢者が熱中症で倒れたと聞いて、ひとり暮らしの母のことが気になります",
    ] {
        assert!(!matches!(outcome(engine, text), Outcome::Urgent(_)), "false alarm: {text}");
    }
}

/// Written for the mechanisms of 2026-12-07, in words of no corpus: katakana writing, a stressed
/// たい, a story's scene or people, a laugh, a negated act, the time of something prepared for,
/// a worry told after a noun or a verb that follows the danger word, the negative in the verb
/// (できん), kana the dictionary misreads as a verb (けん) and the time after an event.
#[test]
fn how_a_danger_is_framed_decides_whether_it_is_one() {
    let engine = common::engine();
    for (text, kind) in [
        ("モウ キエタイ", "suicidal"),
        ("ぼくもう死にたいっ", "suicidal"),
        // A laugh with a word that says it is meant is no joke.
        ("消えたい笑 って言ってたけど本気で消えたい", "suicidal"),
        // A plea while it happens is no negation; a story only watched is no frame.
        ("パパ、叩かないで、痛いって娘が泣いてる", "child"),
        ("アニメを見てたら、父に殴られた", "violence"),
        // The time of a fall told now, with a guess after it, is no preparation.
        ("祖母がトイレで倒れた時に頭を打ったみたいで、いま起き上がれない", "emergency"),
        // A negative said in the verb itself, as western Japan says it.
        ("じいちゃんが急にむせて息ができんようになっとる", "emergency"),
        // A reviewer's dangers that the framings above must leave alone: an act negated as a
        // habit or a need, a method read about, a wound after, a resolution negated, a guess,
        // a plan with a laugh, a story only watched, a course word in another sense.
        ("夫が殴らない日はない", "violence"),
        ("手首を切らないと落ち着かない", "suicide_act"),
        ("楽に死ねる方法の記事ばかり読んでる", "suicidal"),
        ("夫に殴られた後の傷が痛くて眠れない", "violence"),
        ("先月夫に殴られて警察に通報したけど逮捕されなかった、今も一緒に住んでいて怖い", "violence"),
        ("父が熱中症になったようで、顔が真っ赤で汗が止まらない", "emergency"),
        ("遺書も書いたw", "suicidal"),
        ("映画を見ていたら突然夫に殴られ、その時から耳が聞こえない", "violence"),
        ("何の役にも立たない、自殺しかない", "suicidal"),
        ("夜10時頃、夫の暴力がまた始まった。子供と逃げたい", "violence"),
        ("消防の訓練中に熱中症になって、意識がもうろうとしている", "emergency"),
        ("祖父が倒れた際に頭を強く打ったため、出血しています", "emergency"),
    ] {
        assert_eq!(outcome(engine, text), Outcome::Urgent(kind.into()), "{text}");
    }
    for text in [
        // A story's scene, its people, its words; a report.
        "映画で主人公が線路に飛び込もうとする場面があって、子どもに見せていいか迷っています",
        "ゲームの主人公が殴られてばかりで笑った",
        "小説の「死にたい」ってセリフが印象に残った",
        // Said with a laugh; an act negated; the time of something prepared for.
        "レシート無くしたの恥ずかしくて消えたいw",
        "叩かない子育てを学べる講座はありますか",
        "父が風呂で倒れた時に助けを呼べるように、緊急通報装置を付けたい",
        // A worry, after a noun (熱中症になる) and after a verb the rule does not end on.
        "この夏、ひとり暮らしの母が熱中症にならないか心配です",
        "祖母が白玉をのどに詰まらせないか不安です。刻み食の配達はありますか",
        // The dialect けん ("because") is no form of 蹴る; the time after an event is asked about.
        "母が坂の上に住んどるけん、買い物に行けんで困っとる",
        "父が脳梗塞で倒れた後の生活のことを相談したい",
    ] {
        assert!(!matches!(outcome(engine, text), Outcome::Urgent(_)), "false alarm: {text}");
    }
}

/// Signs told with few danger words (2026-12-07): an intent, a farewell, a means at hand, a
/// hiding place, a near miss, western Japan's ておる; and the same words where they are no sign.
#[test]
fn signs_told_with_few_danger_words_are_met() {
    let engine = common::engine();
    for (text, kind) in [
        ("審査に落ちたら死ぬつもりでいます", "suicidal"),
        ("返事はいいです。最後に誰かに聞いてほしかっただけ", "suicidal"),
        ("ためておいた睡眠薬、今夜まとめて飲むつもり", "suicide_act"),
        ("カッターを手首に当ててじっとしてる", "suicide_act"),
        ("じいちゃんが玄関で倒れとる", "emergency"),
        ("台所が急にガスくさい", "emergency"),
        ("知らない男に車に押し込まれそうになった、今も怖い", "violence"),
        ("夫がどなってて怖い。押し入れに隠れてる", "violence"),
        ("兄が祖母にご飯をまともに与えないで出かけてしまう", "violence"),
        // Endings chained with more than one colon (外 出す:てもらえる:ない) match too.
        ("夫に外に出してもらえない", "violence"),
    ] {
        assert_eq!(outcome(engine, text), Outcome::Urgent(kind.into()), "{text}");
    }
    for text in [
        "寝違えて首がつったみたいに痛い",
        "火事のときの避難訓練に参加したい",
        "押し入れの片付けを手伝ってくれるボランティアはいますか",
        "仕事で倒れそうになったけど、今は休めています",
        "薬を飲み忘れてためてしまうので、ヘルパーさんに声をかけてほしい",
        // The particle て is no 手 (手をあげる), though て is 手's reading.
        "寝たきりの父の爪を切ってあげたいけど、訪問の理容はありますか",
    ] {
        assert!(!matches!(outcome(engine, text), Outcome::Urgent(_)), "false alarm: {text}");
    }
}

/// Welfare sentences of the kind residents add around what matters (the corpus's ordinary
/// messages about care, children, money and forms, none of them a danger).
fn welfare_sentences() -> Vec<String> {
    corpus("corpus-safe.jsonl")
        .into_iter()
        .filter(|l| matches!(l.kind.as_deref(), Some("medical_welfare" | "substring" | "daily")))
        .map(|l| l.text)
        .collect()
}

/// The corpus's urgent messages the layer meets on their own.
fn urgent_messages() -> Vec<String> {
    let engine = common::engine();
    corpus("corpus-danger.jsonl")
        .into_iter()
        .filter(|l| l.expect == Expect::Urgent)
        .map(|l| l.text)
        .filter(|text| matches!(outcome(engine, text), Outcome::Urgent(_)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_crisis_check_never_panics(text in "\\PC{0,300}|[\\x00-\\x{3000}]{0,80}|(死|に|た|い|ー|っ|て|、|。|🙏|\\n|\\u{200d}){0,60}") {
        let engine = common::engine();
        let analysis = engine.analyzer().analyze_question(&text);
        let assessment = engine.crisis().assess_with(&analysis, engine.analyzer());
        // Every kind named is one the layer knows.
        let _ = engine.crisis().lead(&assessment);
        let _ = engine.crisis().contacts_for(&assessment, Some("世田谷区"));
    }

    #[test]
    /// A danger met on its own is still met when welfare sentences stand around it.
    fn a_danger_stays_a_danger_whatever_welfare_text_surrounds_it(
        danger in any::<prop::sample::Index>(),
        before in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        after in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        separator in prop::sample::select(vec!["。", "\n", "！", "？", "。\n"]),
    ) {
        thread_local! {
            static TEXTS: (Vec<String>, Vec<String>) = (urgent_messages(), welfare_sentences());
        }
        let message = TEXTS.with(|(urgent, welfare)| {
            let mut parts: Vec<&str> = before.iter().map(|i| welfare[i.index(welfare.len())].as_str()).collect();
            parts.push(&urgent[danger.index(urgent.len())]);
            parts.extend(after.iter().map(|i| welfare[i.index(welfare.len())].as_str()));
            parts.join(separator)
        });
        let engine = common::engine();
        prop_assert!(matches!(outcome(engine, &message), Outcome::Urgent(_)), "{message}");
    }
}

// The messages of the issues, one by one, on the real rules and contacts.

/// Each kind of danger leads with its own contacts, right after the first words.
#[test]
fn crisis_replies_lead_with_the_contacts_of_their_kind() {
    let engine = common::engine();
    for (question, first) in [
        ("もう死にたい", "0120-279-338"),
        ("夫に殴られている", "110"),
        ("父が倒れて息をしていない", "119"),
        ("隣の子が毎晩叩かれて泣き叫んでいる", "189"),
        ("睡眠薬をたくさん飲んだ", "119"),
    ] {
        let (_, replies, _) = respond(&ChatState::default(), Input::Text(question.into()), engine);
        let text = render_plain(&replies[0], engine.dialogs());
        let first_contact = text.find('■').expect("a contact line");
        let at = first_contact
            + text[first_contact..].find(first).unwrap_or_else(|| panic!("{first} for {question}:\n{text}"));
        assert!(
            first_contact < at && text[first_contact..at].lines().count() == 1,
            "{first} leads for {question}:\n{text}"
        );
        assert!(text[..first_contact].chars().count() < 120, "contacts come first for {question}:\n{text}");
    }
}

#[test]
fn a_worry_about_the_future_is_not_an_emergency() {
    let engine = common::engine();
    let decision = engine.decide("一人暮らしの母が家で倒れたらどうしようと心配です", Some("大垣市"));
    assert_ne!(decision.kind, Kind::Crisis);
    // …but a real emergency in the same message still is.
    let decision = engine.decide("倒れたらと心配していたら、本当に倒れて息をしていない", None);
    assert_eq!(decision.kind, Kind::Crisis);
}

/// The messages of issue 8: danger in the resident's own words, and words that only look like it.
#[test]
fn danger_is_read_from_words_not_substrings() {
    let engine = common::engine();
    let lead = |q: &str| {
        let d = engine.decide(q, None);
        (d.kind, engine.crisis().lead(&d.crisis).map(|k| k.id.clone()))
    };
    for (question, kind) in [
        ("薬を50錠飲んだ", "suicide_act"),
        ("もう死んでしまおうか", "suicidal"),
        ("もう母を道連れにして死んでしまおうかと考えてしまいます", "suicidal"),
        ("祖父がお餅をのどにつまらせたみたいで苦しそう！", "emergency"),
        ("ママがずっとかえってこない。ごはんない。ひとりでこわい", "child"),
        ("夫から毎日どなられて怖い。逃げたい", "violence"),
        ("マンションの5階から飛ぼうと思う", "suicidal"),
        ("おばあちゃんがお風呂で動かない", "emergency"),
        ("隣の家から子どもの悲鳴が毎晩聞こえる", "child"),
        ("もう限界、楽になりたい", "suicidal"),
        ("生まれてこなければよかった", "suicidal"),
        ("しにたーい", "suicidal"),
        ("友達が死にたいと言っている", "suicidal_helper"),
        // The worry is the helper's, about words said now.
        ("母が「一緒に死にたい」と言い出していて心配です", "suicidal_helper"),
    ] {
        assert_eq!(lead(question), (Kind::Crisis, Some(kind.to_string())), "{question}");
    }
    for question in [
        "受けられていない",
        "子どもを預けられている",
        "相談できるところ",
        "父が脳梗塞で倒れて、退院後の介護が心配",
        "申請したのに返事がない",
        "死ぬほど忙しい",
        // The いる of 探している is grammar, and a high place asked about is not one looked for.
        "高い所の電球を替えてくれる人を探している",
        "高い所の電球を替えてくれる人はいますか",
        // A teenager home alone after school is an everyday 留守番, not a child left alone.
        "高校生の息子が放課後は家でずっとひとりです。居場所はありますか",
    ] {
        assert_eq!(lead(question).1, None, "{question}");
    }
    // Words that may be said one day are still a worry about the future.
    for question in [
        "いつか母が死にたいと言い出したらと思うと心配です",
        "もし父が「死にたい」と言ったら、どう声をかければいいか不安です",
    ] {
        assert_ne!(lead(question).0, Kind::Crisis, "{question}");
    }
    // Denied or past: a gentle reply that leads the answer, never nothing.
    for question in ["死にたいわけじゃないけど、介護がつらい", "昔は死にたいと思っていた"]
    {
        let (kind, lead) = lead(question);
        assert_ne!(kind, Kind::Crisis, "{question}");
        assert_eq!(lead.as_deref(), Some("gentle"), "{question}");
    }
}
