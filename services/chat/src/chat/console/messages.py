"""The console's words in English and Italian: one table per language, the same keys in each
(a test checks), picked by `?lang=` or else the browser's Accept-Language."""

from cc_schemas import ContactChannel, ContactPriority

LANGUAGES = ("en", "it")
DEFAULT = "en"

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Operator desk",
        "queue": "Contact requests",
        "queue_count": "{count} waiting, most urgent first",
        "empty": "No contact requests are waiting.",
        "priority": "Priority",
        "why": "Why",
        "customer": "Customer",
        "channel": "Channel",
        "context": "Context",
        "waiting_for": "Waiting",
        "expires_in": "Expires in",
        "actions": "Actions",
        "accept": "Accept",
        "decline": "Decline",
        "accept_label": "Accept request {request_id}",
        "decline_label": "Decline request {request_id}",
        "anonymous": "anonymous visitor",
        "session": "session {session_id}",
        "strategic": "strategic level {level}",
        "cart": "cart {value}",
        "products": "products: {products}",
        "searches": "searched: {searches}",
        "order": "order {order_id}",
        "accepted": "You accepted request {request_id} ({channel}) for {customer}.",
        "accepted_next": "Reach out now: call-back dialling and e-mail are not in the console yet.",
        "accepted_next_chat": "The chat is open below: write to the customer.",
        "chats": "Chats",
        "chats_empty": "No open chats.",
        "chat_with": "Chat with {customer}",
        "about_proactive": "Proactive chat on request {request_id}, session {session_id}.",
        "about_customer": "Started by the customer from the shop.",
        "open_chat": "Open",
        "open_chat_label": "Open the chat with {customer}",
        "take_chat": "Take",
        "take_chat_label": "Take the chat with {customer}",
        "waiting_operator": "waiting for an operator",
        "yours": "yours",
        "messages_count": "messages: {count}",
        "conversation": "Conversation",
        "you": "You",
        "customer_said": "Customer",
        "operator_said": "Operator {agent}",
        "message_label": "Your message",
        "send": "Send",
        "end_chat": "End chat",
        "chat_ended": "This chat has ended.",
        "ended_notice": "You ended the chat with {customer}.",
        "taken_notice": "You took the chat with {customer}.",
        "chat_refused": "Not done: {reason}.",
        "declined": "You declined request {request_id}: {reason}.",
        "refused": "Request {request_id} could not be taken: {reason}.",
        "not_found": "Request {request_id} no longer exists.",
        "decline_title": "Decline the request",
        "decline_reason": "Reason (required)",
        "cancel": "Cancel",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "signed_in_as": "Signed in as {name}",
        "signed_out": "Sign in with your contact-centre account to see the queue.",
        "sign_in_failed": "Sign-in failed: {reason}",
        "session_expired": "Your session has expired: sign in again.",
        "forbidden": "Your account is not an operator's: the queue is for operators.",
        "language": "Language",
        "updated": "Updated {time} UTC",
        "minutes_seconds": "{minutes} min {seconds} s",
    },
    "it": {
        "title": "Postazione operatore",
        "queue": "Richieste di contatto",
        "queue_count": "{count} in attesa, le più urgenti prima",
        "empty": "Nessuna richiesta di contatto in attesa.",
        "priority": "Priorità",
        "why": "Motivo",
        "customer": "Cliente",
        "channel": "Canale",
        "context": "Contesto",
        "waiting_for": "In attesa da",
        "expires_in": "Scade tra",
        "actions": "Azioni",
        "accept": "Accetta",
        "decline": "Rifiuta",
        "accept_label": "Accetta la richiesta {request_id}",
        "decline_label": "Rifiuta la richiesta {request_id}",
        "anonymous": "visitatore anonimo",
        "session": "sessione {session_id}",
        "strategic": "livello strategico {level}",
        "cart": "carrello {value}",
        "products": "prodotti: {products}",
        "searches": "ricerche: {searches}",
        "order": "ordine {order_id}",
        "accepted": "Hai accettato la richiesta {request_id} ({channel}) per {customer}.",
        "accepted_next": "Contatta ora il cliente: "
        "richiamata ed e-mail non sono ancora nella postazione.",
        "accepted_next_chat": "La chat è aperta qui sotto: scrivi al cliente.",
        "chats": "Chat",
        "chats_empty": "Nessuna chat aperta.",
        "chat_with": "Chat con {customer}",
        "about_proactive": "Chat proattiva sulla richiesta {request_id}, sessione {session_id}.",
        "about_customer": "Avviata dal cliente dal negozio.",
        "open_chat": "Apri",
        "open_chat_label": "Apri la chat con {customer}",
        "take_chat": "Prendi",
        "take_chat_label": "Prendi la chat con {customer}",
        "waiting_operator": "in attesa di un operatore",
        "yours": "tua",
        "messages_count": "messaggi: {count}",
        "conversation": "Conversazione",
        "you": "Tu",
        "customer_said": "Cliente",
        "operator_said": "Operatore {agent}",
        "message_label": "Il tuo messaggio",
        "send": "Invia",
        "end_chat": "Chiudi la chat",
        "chat_ended": "Questa chat è terminata.",
        "ended_notice": "Hai chiuso la chat con {customer}.",
        "taken_notice": "Hai preso la chat con {customer}.",
        "chat_refused": "Non fatto: {reason}.",
        "declined": "Hai rifiutato la richiesta {request_id}: {reason}.",
        "refused": "Non è stato possibile prendere la richiesta {request_id}: {reason}.",
        "not_found": "La richiesta {request_id} non esiste più.",
        "decline_title": "Rifiuta la richiesta",
        "decline_reason": "Motivo (obbligatorio)",
        "cancel": "Annulla",
        "sign_in": "Accedi",
        "sign_out": "Esci",
        "signed_in_as": "Accesso come {name}",
        "signed_out": "Accedi con il tuo account del contact centre per vedere la coda.",
        "sign_in_failed": "Accesso non riuscito: {reason}",
        "session_expired": "La sessione è scaduta: accedi di nuovo.",
        "forbidden": "Il tuo account non è di un operatore: la coda è per gli operatori.",
        "language": "Lingua",
        "updated": "Aggiornato alle {time} UTC",
        "minutes_seconds": "{minutes} min {seconds} s",
    },
}

PRIORITIES: dict[str, dict[ContactPriority, str]] = {
    "en": {
        ContactPriority.URGENT: "urgent",
        ContactPriority.HIGH: "high",
        ContactPriority.NORMAL: "normal",
        ContactPriority.LOW: "low",
    },
    "it": {
        ContactPriority.URGENT: "urgente",
        ContactPriority.HIGH: "alta",
        ContactPriority.NORMAL: "normale",
        ContactPriority.LOW: "bassa",
    },
}

CHANNELS: dict[str, dict[ContactChannel, str]] = {
    "en": {
        ContactChannel.CHAT: "chat",
        ContactChannel.CALLBACK: "call-back",
        ContactChannel.EMAIL: "e-mail",
    },
    "it": {
        ContactChannel.CHAT: "chat",
        ContactChannel.CALLBACK: "richiamata",
        ContactChannel.EMAIL: "e-mail",
    },
}

# The proactive engine's rules, in words; a rule not listed shows its name.
RULES: dict[str, dict[str, str]] = {
    "en": {
        "abandoned_cart": "Abandoned cart",
        "long_product_dwell": "Long on a product page",
        "long_faq_search": "Long FAQ search",
        "checkout_failing": "Checkout failing",
        "order_status_repeated": "Order status checked again and again",
    },
    "it": {
        "abandoned_cart": "Carrello abbandonato",
        "long_product_dwell": "A lungo su una pagina prodotto",
        "long_faq_search": "Lunga ricerca nelle FAQ",
        "checkout_failing": "Pagamento non riuscito",
        "order_status_repeated": "Stato dell'ordine controllato più volte",
    },
}


def language(requested: str | None, accept_language: str | None) -> str:
    """`?lang=` when it is one we speak, else the first of the browser's we speak."""
    if requested in LANGUAGES:
        return requested
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT
