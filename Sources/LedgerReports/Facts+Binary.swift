import LedgerProjections

// Hand-written binary forms of the hot facts (see BinaryFact). Field order is the layout:
// change it only together with the projection's version.

extension CallFact: BinaryFact {
    public func write(to w: inout FactWriter) {
        w.string(callID)
        w.string(direction)
        w.string(clientRaw)
        w.string(client)
        w.string(line)
        w.int(startedAt)
        w.string(ownerDepartment)
        w.string(dialler)
        w.int(greetingAt)
        w.array(ivr) { w, x in w.int(x.at); w.string(x.option) }
        w.string(routingFailure)
        w.array(stints) { w, x in w.string(x.department); w.int(x.queuedAt); w.int(x.leftAt) }
        w.array(rings) { w, x in w.string(x.agent); w.string(x.department); w.int(x.at); w.int(x.endedAt); w.string(x.outcome) }
        w.int(answeredAt)
        w.string(answeredBy)
        w.array(transfers) { w, x in w.int(x.at); w.string(x.agent); w.string(x.toAgent); w.string(x.toDepartment) }
        w.int(endedAt)
        w.string(endedBy)
        w.string(endCause)
        w.bool(queuedAfterEnd)
        w.array(laterAnswers) { w, x in w.string(x.agent); w.int(x.at) }
        w.array(transferQueues) { w, x in w.string(x.department); w.int(x.queuedAt); w.int(x.leftAt) }
    }

    public init(from r: inout FactReader) throws {
        callID = try r.string()
        direction = try r.optionalString()
        clientRaw = try r.optionalString()
        client = try r.optionalString()
        line = try r.optionalString()
        startedAt = try r.optionalInt64()
        ownerDepartment = try r.optionalString()
        dialler = try r.optionalString()
        greetingAt = try r.optionalInt64()
        ivr = try r.array { r in IVRChoice(at: try r.int64(), option: try r.optionalString()) }
        routingFailure = try r.optionalString()
        stints = try r.array { r in Stint(department: try r.string(), queuedAt: try r.int64(), leftAt: try r.optionalInt64()) }
        rings = try r.array { r in
            Ring(agent: try r.string(), department: try r.optionalString(), at: try r.int64(), endedAt: try r.optionalInt64(),
                 outcome: try r.optionalString())
        }
        answeredAt = try r.optionalInt64()
        answeredBy = try r.optionalString()
        transfers = try r.array { r in
            Transfer(at: try r.int64(), agent: try r.string(), toAgent: try r.optionalString(), toDepartment: try r.optionalString())
        }
        endedAt = try r.optionalInt64()
        endedBy = try r.optionalString()
        endCause = try r.optionalString()
        queuedAfterEnd = try r.bool()
        laterAnswers = try r.array { r in Answer(agent: try r.string(), at: try r.int64()) }
        transferQueues = try r.array { r in Stint(department: try r.string(), queuedAt: try r.int64(), leftAt: try r.optionalInt64()) }
    }
}

extension ClientFact.Ingredients {
    init(from r: inout FactReader) throws {
        calls = try r.array { r in
            let id = try r.string()
            let span = try FactWindow(from: &r)
            guard try r.bool() else { return (id, span, nil) }
            let c = ClientFact.Contribution(
                callID: id, startedAt: try r.optionalInt64(), direction: try r.optionalString(),
                missed: try r.array { r in (try r.string(), try r.int64(), try ReasonInputs(from: &r)) },
                answeredAt: try r.optionalInt64(), answeredBy: try r.optionalString(), finalDepartment: try r.optionalString(),
                dialler: try r.optionalString(), ownerDepartment: try r.optionalString())
            return (id, span, c)
        }
        dismissals = try r.array { r in
            let span = try FactWindow(from: &r)
            return (span, ClientFact.Handled(eventID: try r.string(), at: try r.int64(), department: try r.string(), by: try r.optionalString(),
                                             reason: try r.optionalString(), comment: try r.optionalString()))
        }
    }

    func write(to w: inout FactWriter) {
        w.array(calls) { w, x in
            w.string(x.callID)
            x.span.write(to: &w)
            guard let c = x.contribution else { w.bool(false); return }
            w.bool(true)
            w.int(c.startedAt)
            w.string(c.direction)
            w.array(c.missed) { w, m in w.string(m.department); w.int(m.at); m.inputs.write(to: &w) }
            w.int(c.answeredAt)
            w.string(c.answeredBy)
            w.string(c.finalDepartment)
            w.string(c.dialler)
            w.string(c.ownerDepartment)
        }
        w.array(dismissals) { w, x in
            x.span.write(to: &w)
            w.string(x.handled.eventID)
            w.int(x.handled.at)
            w.string(x.handled.department)
            w.string(x.handled.by)
            w.string(x.handled.reason)
            w.string(x.handled.comment)
        }
    }
}

extension FactWindow {
    init(from r: inout FactReader) throws {
        self.init(minPosition: try r.uint(), maxPosition: try r.uint(), minAt: try r.int64(), maxAt: try r.int64())
    }

    func write(to w: inout FactWriter) {
        w.uint(minPosition)
        w.uint(maxPosition)
        w.int(minAt)
        w.int(maxAt)
    }
}

extension ReasonInputs {
    func write(to w: inout FactWriter) {
        w.int(startedAt)
        w.bool(greeted)
        w.bool(inIVR)
        w.bool(queued)
        w.string(routingFailure)
        w.bool(endedInDepartment)
        w.bool(endedByClient)
        w.int(durationMs)
        w.bool(rung)
    }

    init(from r: inout FactReader) throws {
        self.init(startedAt: try r.int64(), greeted: try r.bool(), inIVR: try r.bool(), queued: try r.bool(),
                  routingFailure: try r.optionalString(), endedInDepartment: try r.bool(), endedByClient: try r.bool(),
                  durationMs: try r.int64(), rung: try r.bool())
    }
}

extension ClientFact: BinaryFact {
    public func write(to w: inout FactWriter) {
        w.string(client)
        w.array(episodes) { w, e in
            w.string(e.department)
            w.int(e.firstCallAt)
            w.int(e.lastCallAt)
            w.int(e.openedAt)
            w.array(e.missedCalls) { w, m in w.string(m.callID); w.int(m.startedAt); w.int(m.missedAt); m.inputs.write(to: &w) }
            w.array(e.attempts) { w, a in w.string(a.callID); w.int(a.at); w.string(a.agent); w.string(a.department); w.bool(a.connected) }
            w.int(e.closedAt)
            w.string(e.closedHow)
            w.string(e.closedBy)
            w.string(e.closingDepartment)
            w.string(e.closingCallID)
            w.string(e.reason)
            w.string(e.comment)
        }
        w.array(dismissals) { w, d in
            w.string(d.eventID)
            w.int(d.at)
            w.string(d.department)
            w.string(d.by)
            w.string(d.reason)
            w.string(d.comment)
            w.int(d.episode.map(Int64.init))
            w.int(d.attemptsBefore)
            w.bool(d.contactedLater)
        }
    }

    public init(from r: inout FactReader) throws {
        client = try r.string()
        episodes = try r.array { r in
            Episode(department: try r.string(), firstCallAt: try r.int64(), lastCallAt: try r.int64(), openedAt: try r.int64(),
                    missedCalls: try r.array { r in
                        MissedCall(callID: try r.string(), startedAt: try r.int64(), missedAt: try r.int64(), inputs: try ReasonInputs(from: &r))
                    },
                    attempts: try r.array { r in
                        Attempt(callID: try r.string(), at: try r.int64(), agent: try r.optionalString(), department: try r.optionalString(),
                                connected: try r.bool())
                    },
                    closedAt: try r.optionalInt64(), closedHow: try r.optionalString(), closedBy: try r.optionalString(),
                    closingDepartment: try r.optionalString(), closingCallID: try r.optionalString(), reason: try r.optionalString(),
                    comment: try r.optionalString())
        }
        dismissals = try r.array { r in
            Dismissal(eventID: try r.string(), at: try r.int64(), department: try r.string(), by: try r.string(), reason: try r.string(),
                      comment: try r.optionalString(), episode: try r.optionalInt64().map(Int.init), attemptsBefore: try r.int(),
                      contactedLater: try r.bool())
        }
    }
}
