//! The LLM designer's conversation with an OpenAI-compatible
//! chat-completions endpoint (`POST {base}/chat/completions`), without I/O:
//! the component sends the bodies this builds and hands back the answers.
//!
//! The model may answer only through one function tool,
//! [`TOOL_NAME`], whose `parameters` are the part program's JSON Schema
//! (generated from the types, `farm_partspec::schema`), and `tool_choice`
//! forces that tool. The tool call's `arguments` (a JSON string) must parse
//! as a [`PartSpec`] and pass the same rules as the offline designer's
//! programs (`PartSpec::validate`, then the program's own requirements). One
//! repair turn is allowed: the assistant's call goes back with a `tool`
//! message holding the errors, and the model answers again; after that the
//! caller falls back to the offline designer ([`Step::GiveUp`]).
//!
//! The chat-completions body is a wire format known here on purpose (like
//! `farm-payments` knows Stripe's): its rules are tested natively.

use farm_partspec::{PartSpec, SPEC_VERSION};
use serde_json::{Value, json};

use crate::{Design, summary};

/// The one tool the model must call.
pub const TOOL_NAME: &str = "submit_part_spec";

/// Repair turns allowed after the first answer (issue 14: one).
pub const MAX_REPAIRS: u32 = 1;

/// What the system message tells the model (the tool's schema carries the
/// program's shape; this carries the rules the schema cannot say).
const SYSTEM: &str = "You design one 3D-printable mechanical part from the user's description. \
Answer only by calling the submit_part_spec tool with a part program (version 1). \
All lengths are millimetres. Printer rules: walls at least 1.2 mm, holes at least 2 mm, \
holes clear of edges, the part fits a 256 x 256 x 256 mm build volume. \
List every value you chose that the user did not give in `assumptions` (parameter, value, reason), \
and in `requirements` the checks the description implies (extents, hole count, hole diameters, spacing, teeth).";

/// One exchange with the model in progress: the messages so far and the
/// repairs left.
#[derive(Debug, Clone)]
pub struct LlmSession {
    model: String,
    messages: Vec<Value>,
    repairs_left: u32,
}

/// What to do after an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A valid program.
    Done(Design),
    /// The answer was invalid and a repair turn was appended: send
    /// [`LlmSession::request`] again. `errors` is what the model was told.
    Repair { errors: Vec<String> },
    /// No valid program (unreadable answer, or still invalid after the
    /// repair): use the offline designer. `reason` says why, for the log.
    GiveUp { reason: String },
}

/// The tool definition: a function whose parameters are the part program's
/// schema (draft 2020-12; `$schema` dropped, as the tool format carries no
/// dialect marker).
pub fn tool() -> Value {
    let mut schema = farm_partspec::schema::json_schema();
    if let Some(map) = schema.as_object_mut() {
        map.remove("$schema");
    }
    json!({
        "type": "function",
        "function": {
            "name": TOOL_NAME,
            "description": "Submit the part program (PartSpec version 1) for the described part.",
            "parameters": schema,
        }
    })
}

impl LlmSession {
    /// A new design: `prompt`, and in a conversation (or from a base file)
    /// the `previous` program the prompt changes.
    pub fn new(model: &str, prompt: &str, previous: Option<&PartSpec>) -> Self {
        let user = match previous.and_then(|p| serde_json::to_string(p).ok()) {
            Some(previous) => format!(
                "The current part program is:\n{previous}\n\nChange it as follows and submit the whole new program: {prompt}"
            ),
            None => prompt.to_owned(),
        };
        LlmSession {
            model: model.to_owned(),
            messages: vec![
                json!({"role": "system", "content": SYSTEM}),
                json!({"role": "user", "content": user}),
            ],
            repairs_left: MAX_REPAIRS,
        }
    }

    /// The body of the next `POST /chat/completions`: the messages so far,
    /// the one tool, `tool_choice` forcing it, temperature 0 (the same
    /// prompt should give the same part).
    pub fn request(&self) -> Value {
        json!({
            "model": self.model,
            "messages": self.messages,
            "tools": [tool()],
            "tool_choice": {"type": "function", "function": {"name": TOOL_NAME}},
            "temperature": 0,
        })
    }

    /// The messages so far (system, user, and any repair turn).
    pub fn messages(&self) -> &[Value] {
        &self.messages
    }

    /// Reads one chat-completions answer (the response body, status 200).
    pub fn answer(&mut self, body: &[u8]) -> Step {
        let call = match tool_call(body) {
            Ok(call) => call,
            Err(reason) => return Step::GiveUp { reason },
        };
        match check(&call.arguments) {
            Ok(design) => Step::Done(design),
            Err(errors) if self.repairs_left > 0 => {
                self.repairs_left -= 1;
                self.messages.push(call.assistant_message());
                self.messages.push(repair_message(&call.id, &errors));
                Step::Repair { errors }
            }
            Err(errors) => Step::GiveUp {
                reason: format!("still invalid after a repair: {}", errors.join("; ")),
            },
        }
    }
}

/// The model's call of [`TOOL_NAME`].
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    /// The arguments as the model wrote them: a JSON text.
    pub arguments: String,
}

impl ToolCall {
    /// The assistant message that made this call, as it must precede the
    /// `tool` message answering it.
    fn assistant_message(&self) -> Value {
        json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "id": self.id,
                "type": "function",
                "function": {"name": TOOL_NAME, "arguments": self.arguments},
            }],
        })
    }
}

/// The first call of [`TOOL_NAME`] in `choices[0].message.tool_calls`; an
/// error sentence when the body is not a chat completion or has no such call.
pub fn tool_call(body: &[u8]) -> Result<ToolCall, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let message = &v["choices"][0]["message"];
    if message.is_null() {
        return Err("the answer has no choices[0].message".into());
    }
    let calls = message["tool_calls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let call = calls
        .iter()
        .find(|c| c["function"]["name"] == TOOL_NAME)
        .ok_or_else(|| format!("the answer calls no {TOOL_NAME} tool"))?;
    let arguments = call["function"]["arguments"]
        .as_str()
        .ok_or("the tool call's arguments are not a string")?
        .to_owned();
    Ok(ToolCall {
        id: call["id"].as_str().unwrap_or("call_0").to_owned(),
        arguments,
    })
}

/// Checks a program the model wrote by the offline designer's rules: it
/// parses as a [`PartSpec`] (unknown fields refused), is version
/// [`SPEC_VERSION`], passes `validate` (each error names its parameter) and
/// meets its own requirements. `Err` lists every problem, one sentence each.
pub fn check(arguments: &str) -> Result<Design, Vec<String>> {
    let spec: PartSpec = serde_json::from_str(arguments)
        .map_err(|e| vec![format!("the arguments are not a valid part program: {e}")])?;
    if spec.version != SPEC_VERSION {
        return Err(vec![format!("version: must be {SPEC_VERSION}")]);
    }
    if let Err(invalid) = spec.validate() {
        return Err(invalid
            .violations
            .iter()
            .map(|v| format!("{}: {}", v.parameter, v.message))
            .collect());
    }
    let unmet = spec.unmet_requirements();
    if !unmet.is_empty() {
        return Err(unmet
            .into_iter()
            .map(|u| format!("requirements: {u}"))
            .collect());
    }
    let summary = summary(&spec);
    Ok(Design { spec, summary })
}

/// The `tool` message answering call `call_id` with the validation errors,
/// asking for a corrected call.
pub fn repair_message(call_id: &str, errors: &[String]) -> Value {
    json!({
        "role": "tool",
        "tool_call_id": call_id,
        "content": format!(
            "The part program was rejected:\n- {}\nCall {TOOL_NAME} again with a corrected, complete program.",
            errors.join("\n- ")
        ),
    })
}
