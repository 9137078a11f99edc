// The shop's chat widget: one script tag,
//   <script src="https://chat.example/widget/chat-widget.js" data-session="<shop session>"
//           data-session-token="<the session signed by the shop>" data-lang="it" defer></script>
// It opens a chat box in the corner of the page: a customer starts a chat by writing, or is
// invited to the one an operator opened for this shop session (proved by the shop's token); messages are fetched by polling
// ?after=<the last one shown>, so a reload or a dropped connection loses and repeats nothing;
// at the end it asks how the chat went (1-5 and a comment). The chat token lives in this tab's
// sessionStorage and goes as `Authorization: Chat <token>`. No dependencies, no build step.
(() => {
  "use strict";
  const script = document.currentScript;
  const base = new URL(script.src).origin;
  const session = script.dataset.session || null;
  // The shop's signature of its session: the invitation takes only that, never a bare id.
  const sessionToken = script.dataset.sessionToken || null;
  const pollMs = 1000 * (Number(script.dataset.pollSeconds) || 2);
  const STORE = "cc-chat-widget";
  const WORDS = {
    en: {
      open: "Chat with us", close: "Close the chat", title: "Chat with us",
      intro: "Write your question: an operator will answer here.",
      invited: "An operator has started a chat with you.",
      label: "Your message", send: "Send", end: "End chat",
      you: "You", operator: "Operator", ended: "The chat has ended.",
      rate: "How was this chat?", comment: "Anything to add? (optional)",
      scores: ["1 - very bad", "2 - bad", "3 - fine", "4 - good", "5 - very good"],
      submit: "Send my answer", thanks: "Thank you for your answer.",
      failed: "Not sent: ", conversation: "Conversation",
      expired: "Your earlier chat is no longer available: write to start a new one.",
      file: "Attach a photo or PDF", download: "Download", sending: "Sending the file...",
      waitMinutes: "An operator will answer in about {n} minutes.",
      waitMinute: "An operator will answer in about a minute.",
      nobody: "Nobody is online right now. Leave a message and we will answer you.",
      leaveTitle: "Leave a message", leaveName: "Your name (optional)",
      leaveContact: "Your e-mail or phone", leaveText: "What would you like to ask us?",
      leaveSend: "Leave my message", leftThanks: "Thank you: we will answer you at {contact}.",
      typing: "The operator is typing…", seen: "Seen by the operator",
    },
    it: {
      open: "Chatta con noi", close: "Chiudi la chat", title: "Chatta con noi",
      intro: "Scrivi la tua domanda: un operatore ti risponderà qui.",
      invited: "Un operatore ha avviato una chat con te.",
      label: "Il tuo messaggio", send: "Invia", end: "Chiudi la chat",
      you: "Tu", operator: "Operatore", ended: "La chat è terminata.",
      rate: "Com'è andata questa chat?", comment: "Vuoi aggiungere qualcosa? (facoltativo)",
      scores: ["1 - molto male", "2 - male", "3 - così così", "4 - bene", "5 - molto bene"],
      submit: "Invia la risposta", thanks: "Grazie per la risposta.",
      failed: "Non inviato: ", conversation: "Conversazione",
      expired: "La chat precedente non è più disponibile: scrivi per iniziarne una nuova.",
      file: "Allega una foto o un PDF", download: "Scarica", sending: "Invio del file...",
      waitMinutes: "Un operatore ti risponderà tra circa {n} minuti.",
      waitMinute: "Un operatore ti risponderà tra circa un minuto.",
      nobody: "Nessun operatore è in linea ora. Lascia un messaggio e ti risponderemo.",
      leaveTitle: "Lascia un messaggio", leaveName: "Il tuo nome (facoltativo)",
      leaveContact: "La tua e-mail o il tuo telefono", leaveText: "Che cosa vuoi chiederci?",
      leaveSend: "Lascia il messaggio", leftThanks: "Grazie: ti risponderemo a {contact}.",
      typing: "L'operatore sta scrivendo…", seen: "Visto dall'operatore",
    },
  };
  const lang = (script.dataset.lang || navigator.language || "en").slice(0, 2);
  const t = WORDS[lang] || WORDS.en;
  let state = JSON.parse(sessionStorage.getItem(STORE) || "null"); // {chat_id, token, after}
  let polling = null;

  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = base + "/widget/chat-widget.css";
  document.head.append(link);

  function el(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }

  const launcher = el("button", { type: "button", className: "ccw-launcher", textContent: t.open });
  launcher.setAttribute("aria-expanded", "false");
  const status = el("p", { className: "ccw-status" });
  status.setAttribute("role", "status");
  const transcript = el("ol", { className: "ccw-transcript" });
  transcript.setAttribute("aria-label", t.conversation);
  transcript.setAttribute("aria-live", "polite");
  const box = el("textarea", { id: "ccw-text", name: "text", rows: 2, required: true });
  const picker = el("input", { id: "ccw-file", type: "file", accept: "image/*,application/pdf" });
  const form = el("form", { className: "ccw-form" },
    el("label", { htmlFor: "ccw-text", textContent: t.label }), box,
    el("div", { className: "ccw-buttons" },
      el("button", { type: "submit", textContent: t.send }),
      el("button", { type: "button", className: "ccw-end", textContent: t.end })),
    // After Send: the text box's Tab still leads to Send.
    el("label", { htmlFor: "ccw-file", textContent: t.file }), picker);
  const rating = csatForm();
  rating.hidden = true;
  const activity = el("p", { className: "ccw-activity" });
  activity.setAttribute("aria-live", "polite");
  const wait = el("p", { className: "ccw-wait" });
  wait.setAttribute("aria-live", "polite");
  const leave = leaveForm();
  leave.hidden = true;
  const panel = el("section", { className: "ccw-panel", hidden: true },
    el("h2", { textContent: t.title }), el("p", { className: "ccw-intro", textContent: t.intro }),
    wait, transcript, activity, status, form, leave, rating);
  panel.setAttribute("aria-label", t.title);
  document.body.append(launcher, panel);

  function csatForm() {
    const choices = t.scores.map((text, i) => el("label", {},
      el("input", { type: "radio", name: "score", value: String(i + 1), required: true }),
      " " + text));
    const comment = el("textarea", { id: "ccw-comment", name: "comment", rows: 2, maxLength: 1000 });
    return el("form", { className: "ccw-csat" },
      el("fieldset", {}, el("legend", { textContent: t.rate }), ...choices),
      el("label", { htmlFor: "ccw-comment", textContent: t.comment }), comment,
      el("button", { type: "submit", textContent: t.submit }));
  }

  function leaveForm() {
    const field = (id, name, label, input) => [
      el("label", { htmlFor: id, textContent: label }), Object.assign(input, { id, name })];
    return el("form", { className: "ccw-leave" },
      el("fieldset", {}, el("legend", { textContent: t.leaveTitle }),
        ...field("ccw-leave-name", "name", t.leaveName, el("input", { autocomplete: "name" })),
        ...field("ccw-leave-contact", "contact", t.leaveContact,
          el("input", { required: true, autocomplete: "email" })),
        ...field("ccw-leave-text", "text", t.leaveText, el("textarea", { rows: 2, required: true })),
        el("button", { type: "submit", textContent: t.leaveSend })));
  }

  // The honest status while no operator holds the chat: the wait the queue gives, or, with
  // nobody online, the offer to leave a message.
  async function checkWait() {
    try {
      const answer = await call("GET", "/v1/widget/wait");
      if (answer.answered) {
        wait.textContent = "";
        leave.hidden = true;
      } else if (answer.nobody_online) {
        wait.textContent = t.nobody;
        leave.hidden = false;
      } else {
        wait.textContent = answer.minutes === 1
          ? t.waitMinute : t.waitMinutes.replace("{n}", answer.minutes);
        leave.hidden = true;
      }
    } catch (error) {
      // The server is away: the next round asks again.
    }
  }

  function save() { sessionStorage.setItem(STORE, JSON.stringify(state)); }

  function say(text) { status.textContent = text; }

  async function call(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (state) headers.Authorization = "Chat " + state.token;
    const response = await fetch(base + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = response.status === 204 ? null : await response.json();
    if (!response.ok) {
      const detail = answer && answer.detail;
      const error = new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
      error.status = response.status;
      throw error;
    }
    return answer;
  }

  function show(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.textContent = open ? t.close : t.open;
    if (open && !form.hidden) box.focus();
  }

  function append(message) {
    const who = message.sender === "customer" ? t.you : t.operator;
    const line = el("li", { className: "ccw-" + message.sender },
      el("strong", { textContent: who + ": " }), document.createTextNode(message.text));
    if (message.attachment) line.append(" ", downloadButton(message.attachment));
    transcript.append(line);
    transcript.scrollTop = transcript.scrollHeight;
  }

  // A file of the chat is fetched with the chat token (a plain link could not carry it) and
  // saved by the browser, never shown in the page.
  function downloadButton(file) {
    const button = el("button", { type: "button", textContent: t.download + " " + file.filename });
    button.addEventListener("click", async () => {
      try {
        const response = await fetch(base + "/v1/widget/attachments/" + file.attachment_id,
          { headers: { Authorization: "Chat " + state.token } });
        if (!response.ok) throw new Error((await response.json()).detail);
        const url = URL.createObjectURL(await response.blob());
        const save = el("a", { href: url, download: file.filename });
        document.body.append(save);
        save.click();
        save.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      } catch (error) {
        say(t.failed + error.message);
      }
    });
    return button;
  }

  async function poll() {
    if (!state) return;
    try {
      const answer = await call("GET", "/v1/widget/messages?after=" + state.after);
      for (const message of answer.messages) {
        if (message.seq > state.after) { append(message); state.after = message.seq; }
      }
      save();
      showActivity(answer.chat);
      if (answer.chat.state === "ended") finish(answer.chat.rated);
      else if (answer.chat.operator_id === null) checkWait();
      else if (wait.textContent) { wait.textContent = ""; leave.hidden = true; }
    } catch (error) {
      // The token expired or the chat is gone: forget it, the next message starts a new one.
      if (error.status === 401 || error.status === 404) forget();
      // Otherwise offline or the server away: the next round asks again from the same point.
    }
  }

  // Typing and read state ride on the poll: seen within one poll of the operator's.
  function showActivity(chat) {
    let text = "";
    if (chat.state === "open" && chat.agent_typing) text = t.typing;
    else if (chat.state === "open" && chat.last_seq && chat.agent_read_seq >= chat.last_seq) text = t.seen;
    if (activity.textContent !== text) activity.textContent = text;
  }

  let typingSent = 0;
  box.addEventListener("input", () => {
    if (!state || Date.now() - typingSent < 2000) return; // one signal every 2 s at most
    typingSent = Date.now();
    call("POST", "/v1/widget/typing").catch(() => undefined);
  });

  function forget() {
    clearInterval(polling);
    state = null;
    sessionStorage.removeItem(STORE);
    transcript.replaceChildren();
    say(t.expired);
  }

  function follow(ticket) {
    state = { chat_id: ticket.chat_id, token: ticket.token, after: 0 };
    save();
    polling = setInterval(poll, pollMs);
    return poll();
  }

  function finish(rated) {
    clearInterval(polling);
    form.hidden = true;
    say(t.ended);
    rating.hidden = rated;
    if (rated) say(t.thanks);
  }

  async function invitation() {
    if (state || !sessionToken) return;
    try {
      const path = "/v1/widget/invitation?session_token=" + encodeURIComponent(sessionToken);
      const ticket = await call("GET", path);
      if (ticket) {
        await follow(ticket);
        show(true);
        say(t.invited);
        return;
      }
    } catch (error) {
      // The server is away: ask again at the next round.
    }
    setTimeout(invitation, pollMs); // no chat for this session yet
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = box.value;
    try {
      if (!state) await follow(await call("POST", "/v1/widget/chats", { session_id: session }));
      const id = crypto.getRandomValues(new Uint32Array(4)).join("-");
      await call("POST", "/v1/widget/messages", { text, message_id: id });
      box.value = "";
      say("");
      await poll();
    } catch (error) {
      say(t.failed + error.message);
    }
  });
  picker.addEventListener("change", async () => {
    const file = picker.files[0];
    if (!file) return;
    say(t.sending);
    try {
      if (!state) await follow(await call("POST", "/v1/widget/chats", { session_id: session }));
      const data = new FormData();
      data.append("file", file);
      const response = await fetch(base + "/v1/widget/attachments",
        { method: "POST", headers: { Authorization: "Chat " + state.token }, body: data });
      const answer = await response.json();
      if (!response.ok) {
        const detail = answer.detail;
        throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
      }
      say("");
      await poll();
    } catch (error) {
      say(t.failed + error.message);
    } finally {
      picker.value = "";
    }
  });
  form.querySelector(".ccw-end").addEventListener("click", async () => {
    if (!state) return show(false);
    try { await call("POST", "/v1/widget/end"); await poll(); } catch (error) { say(t.failed + error.message); }
  });
  rating.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(rating);
    try {
      await call("POST", "/v1/widget/csat", {
        score: Number(data.get("score")), comment: data.get("comment") || null,
      });
      rating.hidden = true;
      say(t.thanks);
    } catch (error) {
      say(t.failed + error.message);
    }
  });
  leave.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(leave);
    try {
      const left = await call("POST", "/v1/widget/left-messages", {
        name: data.get("name") || null, contact: data.get("contact"), text: data.get("text"),
        session_id: session,
      });
      leave.reset();
      leave.hidden = true;
      wait.textContent = "";
      say(t.leftThanks.replace("{contact}", left.contact));
    } catch (error) {
      say(t.failed + error.message);
    }
  });
  launcher.addEventListener("click", () => {
    show(panel.hidden);
    if (!panel.hidden && !state) checkWait();
  });

  if (state) { polling = setInterval(poll, pollMs); poll(); show(true); } else invitation();
})();
