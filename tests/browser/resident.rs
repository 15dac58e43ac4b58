//! A resident on the chat page: the greeting and area buttons, a question answered with a
//! card, a button pressed, the crisis contacts first, reading options, /forget, and a refusal
//! that keeps the typed words.

use fantoccini::Locator;

use crate::browser::{Browser, DESKTOP, PHONE};
use crate::web_server;

async fn ask(browser: &Browser, text: &str) {
    let box_ = browser.wait("#text").await;
    box_.clear().await.unwrap();
    box_.send_keys(text).await.unwrap();
    browser.wait("#send").await.click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resident_chooses_the_area_asks_and_gets_a_card() {
    let server = web_server::start(|_| {}).await;
    let browser = Browser::start().await;
    browser.size(PHONE).await;
    browser.client.goto(&server.base).await.unwrap();
    assert_eq!(browser.wait("html").await.attr("lang").await.unwrap().as_deref(), Some("ja"));
    // The greeting comes with the area buttons, as in Telegram.
    let greeting = browser.wait_for_bot_messages(2).await;
    assert!(greeting.iter().any(|t| t.contains("世田谷区")), "{greeting:?}");
    browser.screenshot("chat-start-phone").await;

    browser.wait("#log button.choice[data-payload='area:世田谷区']").await.click().await.unwrap();
    let after_area = browser.wait_for_bot_messages(3).await;
    assert!(after_area[2].contains("世田谷区の窓口をご案内します"), "{:?}", after_area[2]);

    ask(&browser, "母のもの忘れがひどくなってきた").await;
    let replies = browser.wait_for_bot_messages(4).await;
    let card = &replies[3];
    assert!(card.contains("認知症") && card.contains("(世田谷区)"), "{card}");
    assert!(card.contains("最終確認日"), "a card says when it was checked: {card}");
    // The resident's words are on the page as they wrote them, and the box is empty again.
    let own = browser.client.find_all(Locator::Css("#log .msg.you")).await.unwrap();
    assert!(own.last().unwrap().text().await.unwrap().contains("母のもの忘れがひどくなってきた"));
    assert_eq!(browser.wait("#text").await.prop("value").await.unwrap().as_deref(), Some(""));
    browser.screenshot("chat-answer-phone").await;
    browser.size(DESKTOP).await;
    browser.screenshot("chat-answer-desktop").await;

    // 役に立った under the card is a button like any other.
    browser.wait("#log .msg.bot:last-child button.choice[data-payload^='fb+:']").await.click().await.unwrap();
    let thanks = browser.wait_for_bot_messages(5).await;
    assert!(thanks[4].contains("ありがとうございます"), "{:?}", thanks[4]);
    browser.close().await;
    let records = server.store.all_records().unwrap();
    assert_eq!(records.len(), 1, "the question is recorded once: {records:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_of_danger_shows_the_emergency_contacts_first() {
    let server = web_server::start(|_| {}).await;
    let browser = Browser::start().await;
    browser.size(PHONE).await;
    browser.client.goto(&server.base).await.unwrap();
    browser.wait_for_bot_messages(2).await;
    ask(&browser, "介護に疲れました。薬をたくさん飲んだ").await;
    let replies = browser.wait_for_bot_messages(3).await;
    let reply = &replies[2];
    let first_number = ["119", "0120-279-338"].iter().filter_map(|n| reply.find(n)).min();
    let first_card = reply.find("最終確認日");
    assert!(first_number.is_some(), "the contacts are shown: {reply}");
    assert!(first_card.is_none_or(|card| first_number.unwrap() < card), "contacts before any card: {reply}");
    browser.screenshot("chat-crisis-phone").await;
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_options_stay_and_forget_starts_a_new_chat() {
    let server = web_server::start(|_| {}).await;
    let browser = Browser::start().await;
    browser.client.goto(&server.base).await.unwrap();
    browser.wait_for_bot_messages(2).await;
    let larger = browser.wait("#larger").await;
    larger.click().await.unwrap();
    assert_eq!(larger.attr("aria-pressed").await.unwrap().as_deref(), Some("true"));
    browser.client.refresh().await.unwrap();
    browser.wait_for_bot_messages(2).await;
    let class = browser.wait("html").await.attr("class").await.unwrap().unwrap_or_default();
    assert!(class.contains("larger"), "the larger text is kept after a reload: {class:?}");
    browser.screenshot("chat-larger-desktop").await;

    ask(&browser, "子どもを少し預けたい").await;
    browser.wait_for_bot_messages(3).await;
    let cookie_before = browser.client.get_named_cookie("madoguchi_chat").await.unwrap().value().to_string();
    browser.wait("#forget").await.click().await.unwrap();
    let replies = browser.wait_for_bot_messages(4).await;
    assert!(replies[3].contains("消しました"), "{:?}", replies[3]);
    let cookie_after = browser.client.get_named_cookie("madoguchi_chat").await.unwrap().value().to_string();
    assert_ne!(cookie_before, cookie_after, "after /forget the chat has a new id");
    assert!(server.store.all_records().unwrap().is_empty(), "the question's record is erased");
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_message_stays_in_the_box() {
    // Two messages a minute: the start greeting and one question; the next is refused.
    let server = web_server::start(|config| config.web.messages_per_minute = 2).await;
    let browser = Browser::start().await;
    browser.client.goto(&server.base).await.unwrap();
    browser.wait_for_bot_messages(2).await;
    ask(&browser, "一人暮らしの父が心配").await;
    browser.wait_for_bot_messages(3).await;
    ask(&browser, "ごはんを届けてほしい").await;
    let alert = browser.wait("#alert:not([hidden])").await;
    assert!(alert.text().await.unwrap().contains("待ってから"), "the wait is explained in Japanese");
    let kept = browser.wait("#text").await.prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("ごはんを届けてほしい"), "the words are not lost");
    browser.close().await;
    server.stop().await;
}
