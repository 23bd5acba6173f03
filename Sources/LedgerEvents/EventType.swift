/// The event types of wire format v1. Unknown types are rejected, never dropped.
///
/// ``code`` is part of the stored binary encoding: never renumber, only add.
public enum EventType: String, Sendable, CaseIterable, Hashable, Codable {
    case callStarted = "call.started"
    case callGreeting = "call.greeting"
    case callIVR = "call.ivr"
    case callRoutingFailed = "call.routing_failed"
    case callQueued = "call.queued"
    case callRinging = "call.ringing"
    case callRingEnded = "call.ring_ended"
    case callAnswered = "call.answered"
    case callTransferred = "call.transferred"
    case callEnded = "call.ended"
    case agentJoined = "agent.joined"
    case agentLeft = "agent.left"
    case agentStatus = "agent.status"
    case departmentConfigured = "department.configured"
    case missedHandled = "missed.handled"
    case leadCreated = "lead.created"
    case leadAssigned = "lead.assigned"
    case leadStatusChanged = "lead.status_changed"
    case leadConverted = "lead.converted"

    /// The place of this type among events of the same instant (see ``Event/occursBefore(_:_:)``).
    @inlinable var occurrenceRank: UInt8 { self == .agentLeft ? EventType.agentJoined.code : code }

    /// The stable one-byte code used by ``EventCodec``.
    @inlinable public var code: UInt8 {
        switch self {
        case .callStarted: 1
        case .callGreeting: 2
        case .callIVR: 3
        case .callRoutingFailed: 4
        case .callQueued: 5
        case .callRinging: 6
        case .callRingEnded: 7
        case .callAnswered: 8
        case .callTransferred: 9
        case .callEnded: 10
        case .agentJoined: 11
        case .agentLeft: 12
        case .agentStatus: 13
        case .departmentConfigured: 14
        case .missedHandled: 15
        case .leadCreated: 16
        case .leadAssigned: 17
        case .leadStatusChanged: 18
        case .leadConverted: 19
        }
    }

    /// The type with the given stored code, or `nil`.
    // A switch rather than a table: reading a shared global array retains and releases its
    // buffer, and two threads decoding at once then fight over that one cache line.
    public init?(code: UInt8) {
        switch code {
        case 1: self = .callStarted
        case 2: self = .callGreeting
        case 3: self = .callIVR
        case 4: self = .callRoutingFailed
        case 5: self = .callQueued
        case 6: self = .callRinging
        case 7: self = .callRingEnded
        case 8: self = .callAnswered
        case 9: self = .callTransferred
        case 10: self = .callEnded
        case 11: self = .agentJoined
        case 12: self = .agentLeft
        case 13: self = .agentStatus
        case 14: self = .departmentConfigured
        case 15: self = .missedHandled
        case 16: self = .leadCreated
        case 17: self = .leadAssigned
        case 18: self = .leadStatusChanged
        case 19: self = .leadConverted
        default: return nil
        }
    }

    /// The wire version of this type's data layout.
    public var version: Int { 1 }

    /// Whether events of this type belong to a call (carry `call_id`).
    public var isCallEvent: Bool { code <= 10 }
}
