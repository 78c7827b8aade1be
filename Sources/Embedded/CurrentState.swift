import Store
import WireProtocol

/// Deleted means gone: the room log is immutable, so a message's text is not part of it. The
/// store keeps each `message`/`edit` event without its text and the text's current state in
/// `messages`; every replay and history page joins the two. A deleted message comes back as a
/// tombstone (same id and seq, `deleted: true`, no text); an edit shows the message's current
/// text, never the one it replaced. Live pushes carry the text of the moment.
extension EventBody {
    /// The body as the log stores it: a message or edit without its text.
    var withoutText: EventBody {
        switch self {
        case let .message(author, _, cmid, replyTo): return .message(author: author, text: "", cmid: cmid, replyTo: replyTo)
        case let .edit(author, target, _): return .edit(author: author, target: target, text: "")
        default: return self
        }
    }

    /// The message whose text this event shows: its own id for a message, the target for an
    /// edit; nil for events without text.
    func textSubject(eventID: String) -> String? {
        switch self {
        case .message: return eventID
        case let .edit(_, target, _): return target
        default: return nil
        }
    }
}

/// A message's text as it is now.
struct CurrentText: Equatable {
    /// The latest text; nil when the message was deleted.
    var text: String?
    var edited: Bool

    static let deleted = CurrentText(text: nil, edited: false)

    init(text: String?, edited: Bool) {
        self.text = text
        self.edited = edited
    }

    init(_ record: MessageRecord) {
        self.init(text: record.deleted ? nil : record.text ?? "", edited: record.editedAt != nil)
    }
}

extension Event {
    /// This event as it replays now: a message or edit carries `current`'s text, or is a
    /// tombstone without text when the message was deleted.
    func showing(_ current: CurrentText) -> Event {
        var event = self
        switch body {
        case let .message(author, _, cmid, replyTo):
            event.body = .message(author: author, text: current.text ?? "", cmid: cmid, replyTo: replyTo)
            event.deleted = current.text == nil
            event.edited = current.text != nil && current.edited
        case let .edit(author, target, _):
            event.body = .edit(author: author, target: target, text: current.text ?? "")
            event.deleted = current.text == nil
            event.edited = false
        default:
            break
        }
        return event
    }
}

extension RoomEntry {
    /// Re-renders the recent window's frames that show message `subject`'s text (the message
    /// and its edits) with `current`, so a replay from memory is as clean as one from the
    /// store. Returns the change in the window's bytes.
    func restate(_ subject: String, _ current: CurrentText) -> Int {
        var delta = 0
        for index in recent.indices where recent[index].subject == subject {
            guard case .success(.push(.event(let event))) = WireDecoder.decodeServerFrame(recent[index].frame) else {
                continue
            }
            let frame = WireEncoder.push(.event(event.showing(current)))
            delta += frame.count - recent[index].frame.count
            recent[index].frame = frame
        }
        recentBytes += delta
        return delta
    }
}
