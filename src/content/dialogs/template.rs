//! Filling a dialog text's `{name}` placeholders with values from the code.

/// Fills `{name}` placeholders in a dialog text.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}
