//! `madoguchi chat`: the conversation in a terminal, with the same dialog layer and texts as
//! the Telegram bot. Buttons are shown numbered; typing the number presses one. `/start`,
//! `/menu`, `/area`, `/help` and `/forget` work as in Telegram. Ctrl-D leaves.

use std::io::{BufRead, Write};

use crate::answer::engine::Engine;
use crate::conversation::command::{Command, UnknownCommand};
use crate::conversation::dialog::{respond_in, ChatState, Input, Records};
use crate::conversation::reply::{render_plain, Button};

/// Turns a typed line into an input, given the buttons currently on screen.
pub fn parse_line(line: &str, buttons: &[Button]) -> Input {
    let trimmed = line.trim();
    if let Some(command) = trimmed.strip_prefix('/') {
        let (name, arg) = command.split_once(char::is_whitespace).unwrap_or((command, ""));
        return match name.parse::<Command>() {
            Ok(command) => Input::Command { command, arg: arg.trim().to_string() },
            Err(UnknownCommand(name)) => Input::UnknownCommand(name),
        };
    }
    let number = crate::japanese::analyzer::normalize(trimmed);
    if let Ok(n) = number.parse::<usize>() {
        if let Some(button) = n.checked_sub(1).and_then(|i| buttons.get(i)) {
            return Input::Button(button.payload.clone());
        }
    }
    Input::Text(line.to_string())
}

/// Runs the conversation: with line editing on a terminal, line by line from a pipe.
pub fn run(engine: &Engine, interactive: bool) -> anyhow::Result<()> {
    let texts = &engine.dialogs().texts;
    let mut out = std::io::stdout();
    writeln!(out, "{}", texts.chat_welcome)?;
    let mut state = ChatState::default();
    let mut buttons: Vec<Button> = Vec::new();
    let handle =
        |line: &str, state: &mut ChatState, buttons: &mut Vec<Button>, out: &mut dyn Write| -> anyhow::Result<()> {
            let input = parse_line(line, buttons);
            // Nothing is recorded here, and the replies to /forget and 違った say so.
            let (next, replies, _events) = respond_in(state, input, engine, Records::NotKept);
            *state = next;
            buttons.clear();
            for reply in replies {
                writeln!(out, "\n{}", render_plain(&reply, engine.dialogs()))?;
                for button in reply.buttons.iter().flatten() {
                    buttons.push(button.clone());
                    writeln!(out, "  [{}] {}", buttons.len(), button.label)?;
                }
            }
            writeln!(out)?;
            out.flush()?;
            Ok(())
        };
    if interactive {
        let mut editor = rustyline::DefaultEditor::new()?;
        loop {
            match editor.readline("> ") {
                Ok(line) => {
                    if !line.trim().is_empty() {
                        let _ = editor.add_history_entry(line.as_str());
                    }
                    handle(&line, &mut state, &mut buttons, &mut out)?;
                }
                Err(rustyline::error::ReadlineError::Interrupted) => continue,
                Err(rustyline::error::ReadlineError::Eof) => break,
                Err(e) => return Err(e.into()),
            }
        }
    } else {
        for line in std::io::stdin().lock().lines() {
            handle(&line?, &mut state, &mut buttons, &mut out)?;
        }
    }
    writeln!(out, "{}", texts.chat_goodbye)?;
    Ok(())
}
