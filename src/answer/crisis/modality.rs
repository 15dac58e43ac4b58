//! What a mention of danger is: happening now, someone else's, denied, past, a worry, or a
//! figure of speech. Read from the grammar around the mention (conditional forms, the quoting と,
//! たい followed by ない) and the words of `[modality]` in `dialogs/crisis.toml`.
//!
//! Pure functions of the morphemes; the rules say *that* a danger is mentioned, this says *how*.

use std::ops::Range;

use serde::Serialize;

use super::rules::{is_function, same_base, Found};
use crate::japanese::analyzer::{ConjugatedForm, Morpheme, PartOfSpeech, ParticleKind};

/// How a mention stands in its sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Happening now, or the writer's stated intent.
    Now,
    /// About someone else (友達が死にたいと言っている).
    ThirdPerson,
    /// Said and then denied (死にたいわけじゃない, 死にたくはない).
    Denied,
    /// The act itself negated (叩かない子育て).
    NotDone,
    /// Said with a laugh (恥ずかしくて消えたい笑).
    Joke,
    /// Long past (昔は死にたいと思っていた, 去年倒れて今は退院).
    Past,
    /// A worry about what may happen (倒れたらどうしよう, 倒れないか心配).
    Worry,
    /// A figure of speech (死ぬほど忙しい, 死ぬかと思った).
    Degree,
    /// Told as happening in a story or a report (映画で倒れた人, ドラマの中で死にたいと言う).
    Story,
}

impl Modality {
    /// The words staff read in explain.
    pub fn label(self) -> &'static str {
        match self {
            Modality::Now => "いま起きている・本人の気持ち",
            Modality::ThirdPerson => "ほかの人のこと",
            Modality::Denied => "打ち消し",
            Modality::NotDone => "しないこと",
            Modality::Joke => "笑いながらの言い方",
            Modality::Past => "過去のこと",
            Modality::Worry => "これからの心配",
            Modality::Degree => "たとえ・大げさな言い方",
            Modality::Story => "映画・ドラマ・ニュースの中のこと",
        }
    }
}

/// The `[modality]` word lists, as word ids of the lexicon.
#[derive(Debug, Clone, Default)]
pub struct ModalityLexicon {
    pub others: Vec<usize>,
    pub reporting: Vec<usize>,
    pub past: Vec<usize>,
    pub aftermath: Vec<usize>,
    pub now: Vec<usize>,
    pub worry: Vec<usize>,
    pub denial: Vec<usize>,
    pub degree: Vec<usize>,
    pub wish: Vec<usize>,
    pub hypothetical: Vec<usize>,
    pub topic: Vec<usize>,
    pub resolved: Vec<usize>,
    pub story: Vec<usize>,
    pub characters: Vec<usize>,
    pub laughter: Vec<usize>,
}

/// Everything the modality of one mention is read from.
pub struct Context<'a> {
    /// The normalized text the morphemes' spans point into.
    pub text: &'a str,
    pub morphemes: &'a [Morpheme],
    /// Every word of the lexicon found in the message.
    pub found: &'a [Found],
    pub sentence: Range<usize>,
    /// The mention's predicate: its word and ending.
    pub anchor: Range<usize>,
    /// Where the whole mention begins.
    pub start: usize,
}

impl Context<'_> {
    /// The mention's predicate is a noun (熱中症, 虐待), not a verb or an adjective.
    fn anchor_is_noun(&self) -> bool {
        self.anchor.end > self.anchor.start
            && matches!(self.morphemes[self.anchor.end - 1].pos, PartOfSpeech::Noun { .. })
    }
}

impl ModalityLexicon {
    pub fn of(&self, cx: &Context<'_>) -> Modality {
        let tail = self.tail(cx);
        if self.degree(cx, &tail) {
            Modality::Degree
        } else if self.in_story(cx) || self.scene(cx, &tail) {
            Modality::Story
        } else if self.joke(cx) {
            Modality::Joke
        } else if self.not_done(cx) {
            Modality::NotDone
        } else if self.denied(cx, &tail) {
            Modality::Denied
        } else if self.worry(cx, &tail) {
            Modality::Worry
        } else if self.past(cx, &tail) {
            Modality::Past
        } else if self.third_person(cx, &tail) {
            Modality::ThirdPerson
        } else {
            Modality::Now
        }
    }

    /// The grammar after the predicate, up to the next content word that is not a worry or a
    /// reporting verb, or the sentence's end (a comma ends it too).
    fn tail(&self, cx: &Context<'_>) -> Range<usize> {
        let start = cx.anchor.end;
        let mut end = start;
        while end < cx.sentence.end && end < start + 12 {
            let m = &cx.morphemes[end];
            if m.pos == PartOfSpeech::Symbol && !is_bracket(m, cx) {
                break;
            }
            end += 1;
            // 思う and 考える carry the tense of a thought (死にたいと思っていた); とき, 場合 and
            // 際 make the mention a clause of what follows (迷子になったときのために).
            let thinking = matches!(m.base.as_str(), "思う" | "考える");
            // なる and する carry a noun's tense and mood (熱中症にならないか, 虐待されていた).
            let light = matches!(m.base.as_str(), "なる" | "する");
            let when = matches!(m.base.as_str(), "とき" | "時" | "場合" | "際");
            if !is_function(m)
                && !thinking
                && !light
                && !when
                && m.pos != PartOfSpeech::Symbol
                && !self.is_any(cx, end - 1, &[&self.worry, &self.reporting, &self.denial])
            {
                // Let one more content word in (思う in と思う, 心配 in か心配), nothing after it.
                if end - start > 1 {
                    break;
                }
            }
        }
        start..end
    }

    /// Whether morpheme `i` begins one of the words of `lists`.
    fn is_any(&self, cx: &Context<'_>, i: usize, lists: &[&Vec<usize>]) -> bool {
        cx.found.iter().any(|f| f.range.start == i && lists.iter().any(|l| l.contains(&f.word)))
    }

    /// 死ぬほど, 死ぬくらい, 死ぬかと思った. A noun before くらい is an estimate, not a figure
    /// of speech (小学生くらいの子が一人で).
    fn degree(&self, cx: &Context<'_>, tail: &Range<usize>) -> bool {
        let predicate = cx.anchor.end.checked_sub(1).map(|i| &cx.morphemes[i]);
        let noun = predicate.is_some_and(|m| matches!(m.pos, PartOfSpeech::Noun { .. }));
        if tail.start < tail.end && !noun && self.is_any(cx, tail.start, &[&self.degree]) {
            return true;
        }
        let m = |i: usize| cx.morphemes.get(i);
        let is = |i: usize, base: &str| m(i).is_some_and(|m| m.base == base);
        // …かと思った: a fright, not an intent; 死のうかと思う (a volitional before か) is one.
        let volitional = tail.start > 0 && matches!(cx.morphemes[tail.start - 1].base.as_str(), "う" | "よう");
        !volitional && is(tail.start, "か") && is(tail.start + 1, "と") && is(tail.start + 2, "思う")
    }

    /// A story word as the place the mention happens, right before it: 映画で, ドラマの中で, with
    /// neither a verb nor a mark between (「映画で倒れた人にAEDを使うシーン」). Watching one is no
    /// frame (ドラマを見ていたら殴られた), nor a story the mention only follows (ドラマで見たみたい
    /// に殴られている), and a word that says it is real between them makes it real (ドラマの話
    /// じゃなくて、本当に殴られています).
    fn in_story(&self, cx: &Context<'_>) -> bool {
        let morphemes = cx.morphemes;
        let real = |i: usize| says_real(&morphemes[i]);
        cx.found.iter().any(|f| {
            let base = |i: usize| morphemes.get(i).map(|m| m.base.as_str());
            let place = match (base(f.range.end), base(f.range.end + 1), base(f.range.end + 2)) {
                (Some("で"), _, _) => Some(f.range.end + 1),
                (Some("の"), Some("中" | "なか"), Some("で")) => Some(f.range.end + 3),
                // 漫画のセリフの「死にたい」: the story's own words.
                (Some("の"), Some("「" | "『"), _) => Some(f.range.end + 1),
                // アニメのキャラが, ゲームのボスに: one of its people acts or suffers.
                (Some("の"), _, Some("が" | "に" | "は" | "も"))
                    if self.is_any(cx, f.range.end + 1, &[&self.characters]) =>
                {
                    Some(f.range.end + 3)
                }
                _ => None,
            };
            self.story.contains(&f.word)
                && f.range.start >= cx.sentence.start
                && f.range.end <= cx.start
                && place.is_some_and(|from| {
                    (from..cx.start).all(|i| {
                        let m = &morphemes[i];
                        let verb = matches!(m.pos, PartOfSpeech::Verb { .. });
                        let mark = m.pos == PartOfSpeech::Symbol && !is_bracket(m, cx);
                        !verb && !mark && !real(i)
                    })
                })
        })
    }

    /// A laugh after the mention in its sentence (消えたい笑, 死ぬーw), and no word in it that
    /// says it is meant (死にたい(笑)とかじゃなくてマジで死にたい).
    fn joke(&self, cx: &Context<'_>) -> bool {
        let sentence = cx.sentence.start..cx.sentence.end.min(cx.morphemes.len());
        // A feeling (消えたい) may be said as a joke; a plan or an act (遺書も書いたw) never is.
        let feeling = cx.anchor.end > cx.anchor.start && cx.morphemes[cx.anchor.end - 1].base == "たい";
        feeling
            && cx.found.iter().any(|f| {
                self.laughter.contains(&f.word) && f.range.start >= cx.anchor.end && f.range.start < cx.sentence.end
            })
            && !sentence.clone().any(|i| says_real(&cx.morphemes[i]))
    }

    /// 叩かない子育て, 怒鳴らない接し方: the act negated as a way of bringing up or treating
    /// someone, the noun right after the ない. Nothing else: 殴らない日はない, 切らないと落ち着かない,
    /// 死ななあかん and 叩かないで are dangers, and 殴られない (a passive) is one too.
    fn not_done(&self, cx: &Context<'_>) -> bool {
        let morphemes = cx.morphemes;
        let end = cx.anchor.end;
        end > cx.anchor.start
            && end < morphemes.len()
            && matches!(morphemes[end - 1].pos, PartOfSpeech::Verb { dependent: false })
            && morphemes[end].base == "ない"
            && morphemes[end].pos == PartOfSpeech::Auxiliary
            && morphemes.get(end + 1).is_some_and(|m| WAYS_OF_DOING.contains(&m.base.as_str()))
    }

    /// The mention describing a story word right after it (飛び降りようとするシーン), or a noun
    /// joined to one by の (倒れる映画のシーン): a predicate that modifies the noun, with no
    /// particle between (殴られたってドラマみたい is not one).
    fn scene(&self, cx: &Context<'_>, tail: &Range<usize>) -> bool {
        let morphemes = cx.morphemes;
        let skipped = |m: &Morpheme| is_function(m) || is_bracket(m, cx) || matches!(m.base.as_str(), "する" | "なる");
        let Some(first) = tail.clone().find(|&i| !skipped(&morphemes[i])) else {
            return false;
        };
        let attributive =
            first > 0 && !matches!(morphemes[first - 1].pos, PartOfSpeech::Particle(_) | PartOfSpeech::Symbol);
        if !attributive {
            return false;
        }
        // The noun it modifies, and the nouns that noun is joined to by の (映画のシーン).
        let end = cx.sentence.end.min(morphemes.len()).min(first + 6);
        for (i, m) in morphemes.iter().enumerate().take(end).skip(first) {
            if self.is_any(cx, i, &[&self.story]) {
                return true;
            }
            let noun = matches!(m.pos, PartOfSpeech::Noun { .. });
            let joined = m.base == "の" && i > first;
            if !noun && !joined {
                break;
            }
        }
        false
    }

    /// たい followed by ない (死にたくない), a denial noun before ない (わけじゃない, つもりはない),
    /// or a negated thought after a quote (死にたいとは思わない).
    fn denied(&self, cx: &Context<'_>, tail: &Range<usize>) -> bool {
        let morphemes = cx.morphemes;
        let negation = |i: usize| {
            morphemes[i].base == "ない"
                || matches!(morphemes[i].base.as_str(), "ぬ" | "ん") && is_function(&morphemes[i])
        };
        let anchor_end = cx.anchor.end;
        // 死にたくない: the desire itself negated.
        if anchor_end < morphemes.len()
            && anchor_end > 0
            && morphemes[anchor_end - 1].base == "たい"
            && negation(anchor_end)
        {
            return true;
        }
        let mut seen_denial = false;
        let mut seen_quote = false;
        for i in tail.clone() {
            if self.is_any(cx, i, &[&self.denial]) {
                seen_denial = true;
            }
            if morphemes[i].pos == PartOfSpeech::Particle(ParticleKind::Quote) {
                seen_quote = true;
            }
            if (seen_denial || seen_quote && morphemes[..i].iter().rev().take(3).any(|m| m.base == "思う"))
                && negation(i)
            {
                return true;
            }
        }
        false
    }

    /// 倒れたら, 倒れれば, 倒れないか心配, 倒れるかも, 倒れそう.
    fn worry(&self, cx: &Context<'_>, tail: &Range<usize>) -> bool {
        let morphemes = cx.morphemes;
        let in_sentence = |f: &&Found| f.range.start >= cx.sentence.start && f.range.end <= cx.sentence.end;
        // もし…, 万が一…: a supposition. 虐待の研修, 自殺を描いたドラマ: a noun talked about as a
        // topic; a verb told with it is an event (ドラマを見ていたら殴られた), so only nouns.
        let noun_mention = cx.anchor_is_noun();
        if cx.found.iter().filter(in_sentence).any(|f| {
            self.hypothetical.contains(&f.word) && f.range.end <= cx.anchor.start
                || noun_mention && self.topic.contains(&f.word) && !morphemes.get(f.range.end).is_some_and(is_during)
        }) {
            return true;
        }
        if self.when_for_purpose(cx) {
            return true;
        }
        for i in cx.anchor.start..tail.end {
            let m = &morphemes[i];
            let conditional =
                m.form == ConjugatedForm::Conditional && i + 1 < morphemes.len() && morphemes[i + 1].base == "ば"
                    || m.base == "た" && m.form == ConjugatedForm::Conditional
                    || m.base == "なら" && i >= cx.anchor.end
                    || m.base == "ても"
                    || m.base == "でも" && m.pos == PartOfSpeech::Particle(ParticleKind::Conjunctive);
            // なければよかった is a wish about the past, not a condition (the rule asks for it);
            // 死ねたら楽なのに, 死ねばいい: a condition followed by a wish word is a wish.
            let wish = (i + 1..(i + 4).min(cx.sentence.end)).any(|j| self.is_any(cx, j, &[&self.wish]));
            if conditional && !wish && !(i + 2 < morphemes.len() && morphemes[i + 2].base == "よい") {
                return true;
            }
            if i >= cx.anchor.end {
                let maybe = m.base == "か" && morphemes.get(i + 1).is_some_and(|n| n.base == "も");
                // 倒れそう (a verb: about to happen) is a worry; 苦しそう (an adjective: how
                // someone looks now) is not.
                // 押し込まれそうになった: it nearly happened, which it did, just now.
                let nearly = morphemes.get(i + 1).is_some_and(|n| n.base == "に")
                    && morphemes.get(i + 2).is_some_and(|n| n.base == "なる")
                    && morphemes.get(i + 3).is_some_and(|n| n.base == "た");
                let likely = m.base == "そう"
                    && matches!(m.pos, PartOfSpeech::Noun { suffix: true, .. } | PartOfSpeech::Auxiliary)
                    && !nearly
                    && !morphemes
                        .get(i.wrapping_sub(1))
                        .is_some_and(|p| matches!(p.pos, PartOfSpeech::Adjective { .. }));
                // 「死にたい」と言い出していて心配: the worry is the helper's, about words said
                // now, not a danger that may come.
                // 息ができんようになった: a change that has come, not a purpose (倒れないように).
                let became = m.base == "よう"
                    && morphemes.get(i + 1).is_some_and(|n| n.base == "に")
                    && morphemes.get(i + 2).is_some_and(|n| n.base == "なる");
                // ため and よう say a purpose only as ために, ための, ように (熱中症になったため is a
                // cause, なったようで a guess).
                let purpose = !matches!(m.base.as_str(), "ため" | "よう")
                    || morphemes.get(i + 1).is_some_and(|n| matches!(n.base.as_str(), "に" | "の"));
                let worry_word = self.is_any(cx, i, &[&self.worry]) && !became && purpose;
                if (maybe || likely || worry_word) && !self.reported_before(cx, i) {
                    return true;
                }
            }
        }
        false
    }

    /// The mention as the time of something prepared for: 倒れた時に気づいてもらえるように,
    /// 倒れている人を見つけた時の対応を学べる講習. A とき (時, 場合, 際) after it in its sentence,
    /// then の ため, a clause ending in ように, or a topic word (講習, 研修). Not よう alone:
    /// 倒れた時に頭を打ったようで is an emergency told now.
    fn when_for_purpose(&self, cx: &Context<'_>) -> bool {
        let morphemes = cx.morphemes;
        let end = cx.sentence.end.min(morphemes.len());
        // The clock's 時 (2時) is no とき.
        let Some(when) = (cx.anchor.end..end).find(|&i| {
            matches!(morphemes[i].base.as_str(), "とき" | "時" | "場合" | "際")
                && !matches!(morphemes[i - 1].pos, PartOfSpeech::Noun { number: true, .. })
        }) else {
            return false;
        };
        let base = |i: usize| morphemes.get(i).map(|m| m.base.as_str());
        let topic_at = |i: usize| {
            cx.found.iter().any(|f| {
                f.range.start == i && self.topic.contains(&f.word) && !morphemes.get(f.range.end).is_some_and(is_during)
            })
        };
        // 時のため(に), …ように、 or ように at the end (not ように見える), or a course after it.
        let for_the_time = base(when + 1) == Some("の") && base(when + 2) == Some("ため");
        for_the_time
            || (when + 1..end).any(|i| {
                base(i) == Some("よう")
                    && base(i + 1) == Some("に")
                    && !matches!(base(i + 2), Some("見える" | "思える" | "感じる" | "聞こえる"))
                    || topic_at(i)
            })
    }

    /// A past time word before the mention (昔は, 去年) with the predicate in the past, or the
    /// aftermath of an event told in the same sentence (倒れて…退院).
    fn past(&self, cx: &Context<'_>, tail: &Range<usize>) -> bool {
        let morphemes = cx.morphemes;
        // A noun's tense is its clause's, up to a comma or a conjunctive particle
        // (以前ストーカー被害に遭い警察に相談しましたが、…).
        let noun_anchor = cx.anchor_is_noun();
        let clause_end = (cx.anchor.end..cx.sentence.end.min(morphemes.len()))
            .find(|&i| {
                morphemes[i].pos == PartOfSpeech::Symbol
                    || morphemes[i].pos == PartOfSpeech::Particle(ParticleKind::Conjunctive)
            })
            .unwrap_or(cx.sentence.end.min(morphemes.len()));
        let past_tense = past_in(cx, &(cx.anchor.start..tail.end))
            || noun_anchor && past_in(cx, &(cx.anchor.end..clause_end.min(cx.anchor.end + 12)));
        // 飲んだことがある, 倒れたことがあり: an experience, told as over. (A danger told after it,
        // 「前にも死にたいと思ったことがあるけど、今本当に死にたい」, is a mention of its own: the
        // rules are also met clause by clause.)
        if experiential(cx, tail) {
            return true;
        }
        // 倒れて、… : the event told as one step of a story (the ending may hold the て).
        let sequence = tail.start < tail.end && same_base(&morphemes[tail.start].base, "て")
            || tail.start > 0 && same_base(&morphemes[tail.start - 1].base, "て");
        // The nearest time word before the mention decides: 昔は…、今も… is now.
        let time_word = cx
            .found
            .iter()
            .filter(|f| f.range.end <= cx.start && f.range.start >= cx.sentence.start)
            .filter(|f| self.past.contains(&f.word) || self.now.contains(&f.word))
            // 10時頃: a time of day, not of life.
            .filter(|f| {
                !(f.range.start > 0
                    && matches!(
                        morphemes[f.range.start - 1].pos,
                        PartOfSpeech::Noun { number: true, .. } | PartOfSpeech::Noun { suffix: true, .. }
                    ))
            })
            .max_by_key(|f| f.range.start);
        if let Some(word) = time_word {
            if self.now.contains(&word.word) {
                return false;
            }
            // 去年から, 昔から: since then, so still going on. The time word must tell the
            // mention's own clause (昔, 薬を飲んだ), not a past clause about someone
            // (以前入院していた娘が薬を飲んだ).
            let since = morphemes.get(word.range.end).is_some_and(|m| matches!(m.base.as_str(), "から" | "以来"));
            let own_clause = !(word.range.end..cx.start).any(|i| is_past(morphemes, i));
            if !since && own_clause && past_tense {
                return true;
            }
        }
        // 倒れた後の介護, 倒れたあとの生活: the time after the event, as what is asked about.
        // Only the care and life after it (not 殴られた後のあざ, a wound now).
        let after_it = (cx.anchor.end..tail.end.min(morphemes.len())).any(|i| {
            matches!(morphemes[i].base.as_str(), "後" | "あと")
                && morphemes.get(i + 1).is_some_and(|m| m.base == "の")
                && morphemes.get(i + 2).is_some_and(|m| CARE_AFTER.contains(&m.base.as_str()))
        });
        if past_tense && after_it {
            return true;
        }
        // The aftermath after the event, in its sentence: 倒れて、いまは退院. Not one before it
        // (入院中の母が薬を飲んだ, 退院した父が倒れた), nor 入院中: 倒れて動かない。去年も入院した is
        // an emergency now.
        if (past_tense || sequence)
            && cx.found.iter().any(|f| {
                self.aftermath.contains(&f.word)
                    && f.range.start >= cx.anchor.end
                    && f.range.end <= cx.sentence.end
                    && morphemes.get(f.range.end).is_none_or(|m| m.base != "中")
            })
        {
            return true;
        }
        // A story told as long past and over: 昔…殴られた。…今は自立して. The time word stands in
        // the mention's sentence, before or after it (…飲んだことがあるが、もう15年前の話); the
        // resolution anywhere after the mention.
        let long_ago = cx.found.iter().any(|f| {
            self.past.contains(&f.word)
                && f.range.start >= cx.sentence.start
                && f.range.end <= cx.sentence.end
                && !morphemes.get(f.range.end).is_some_and(|m| matches!(m.base.as_str(), "から" | "以来"))
        });
        // 無事でした is over; 無事か分からない, 大丈夫かな are not.
        let asked =
            |f: &Found| (f.range.end..(f.range.end + 4).min(morphemes.len())).any(|i| morphemes[i].base == "か");
        // 逮捕されなかった, 解決していない: not over.
        let negated = |f: &Found| {
            (f.range.end..(f.range.end + 4).min(morphemes.len()))
                .any(|i| matches!(morphemes[i].base.as_str(), "ない" | "ぬ" | "ん") && is_function(&morphemes[i]))
        };
        let resolved_after = cx.found.iter().any(|f| {
            f.range.start >= cx.anchor.end
                && !asked(f)
                && !negated(f)
                && (self.resolved.contains(&f.word)
                    || self.now.contains(&f.word)
                        && morphemes.get(f.range.end).is_some_and(|m| matches!(m.base.as_str(), "は" | "では")))
        });
        let told_in_past = past_tense || sequence || past_in(cx, &cx.sentence);
        told_in_past && long_ago && resolved_after
    }

    /// Whether the mention's words are reported (と or って, then a reporting verb) between its
    /// predicate and morpheme `i`.
    fn reported_before(&self, cx: &Context<'_>, i: usize) -> bool {
        (cx.anchor.end..i).any(|q| {
            matches!(cx.morphemes[q].pos, PartOfSpeech::Particle(ParticleKind::Quote))
                && (q + 1..(q + 4).min(i)).any(|j| self.is_any(cx, j, &[&self.reporting]))
        })
    }

    /// Someone else is the subject (友達が, 母は) before the mention, or its words are reported
    /// (…と言っている, …ってLINEが来た).
    fn third_person(&self, cx: &Context<'_>, tail: &Range<usize>) -> bool {
        let morphemes = cx.morphemes;
        for i in tail.clone() {
            if matches!(morphemes[i].pos, PartOfSpeech::Particle(ParticleKind::Quote))
                && (i + 1..(i + 4).min(morphemes.len())).any(|j| self.is_any(cx, j, &[&self.reporting]))
            {
                return true;
            }
        }
        cx.found.iter().any(|f| {
            self.others.contains(&f.word)
                && f.range.start >= cx.sentence.start
                && f.range.end <= cx.start
                && morphemes.get(f.range.end).is_some_and(|m| matches!(m.base.as_str(), "が" | "は" | "も"))
        })
    }
}

/// Whether morpheme `i` is the past た, also voiced after a verb's euphonic form (飲んだ, 死んだ:
/// IPADIC gives it the base だ, which is otherwise the copula).
fn is_past(morphemes: &[Morpheme], i: usize) -> bool {
    let m = &morphemes[i];
    m.base == "た"
        || m.base == "だ"
            && m.pos == PartOfSpeech::Auxiliary
            && i > 0
            && matches!(morphemes[i - 1].pos, PartOfSpeech::Verb { .. })
            && morphemes[i - 1].form == ConjugatedForm::Continuative
}

/// Whether a past た stands in `range`.
fn past_in(cx: &Context<'_>, range: &Range<usize>) -> bool {
    range.clone().any(|i| is_past(cx.morphemes, i))
}

/// The predicate told as an experience: a past た, then こと, a particle at most, and ある (飲んだ
/// ことがある, 倒れたこともあり). What is told so is over, whatever came of it.
fn experiential(cx: &Context<'_>, tail: &Range<usize>) -> bool {
    let morphemes = cx.morphemes;
    let end = cx.sentence.end.min(morphemes.len());
    (cx.anchor.end.saturating_sub(1)..tail.end.min(end)).any(|i| {
        is_past(morphemes, i)
            && morphemes.get(i + 1).is_some_and(|m| m.base == "こと")
            && (i + 2..(i + 4).min(end)).any(|j| morphemes[j].base == "ある")
            && (i + 2..(i + 4).min(end))
                .take_while(|&j| morphemes[j].base != "ある")
                .all(|j| matches!(morphemes[j].pos, PartOfSpeech::Particle(_)))
    })
}

/// 中 after a topic word: the time something happens (訓練中に, 研修中), an event, not a topic.
fn is_during(m: &Morpheme) -> bool {
    matches!(m.base.as_str(), "中" | "最中")
}

/// The nouns after 叩かない, 怒鳴らない that make it a way of bringing up or treating someone.
const WAYS_OF_DOING: &[&str] = &["子育て", "育児", "しつけ", "教育", "接し方", "関わり方", "保育", "介護", "指導"];

/// What 倒れた後の may be about as the life after it (not a wound now).
const CARE_AFTER: &[&str] = &["介護", "生活", "暮らし", "リハビリ", "手続き", "申請", "支援", "治療", "通院", "仕事"];

/// A word that says what is told is real or meant (本当に, マジで).
fn says_real(m: &Morpheme) -> bool {
    matches!(m.base.as_str(), "本当" | "ほんとう" | "ほんと" | "本気" | "実際" | "リアル" | "マジ" | "まじ" | "ガチ")
}

/// 「死にたい」って: quotation marks do not end the grammar around a mention.
fn is_bracket(m: &Morpheme, cx: &Context<'_>) -> bool {
    matches!(m.surface(cx.text), "「" | "」" | "『" | "』" | "\"" | "'" | "(" | ")")
}
