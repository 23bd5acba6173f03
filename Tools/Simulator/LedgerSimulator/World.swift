/// The simulated world: departments, agents, clients, and the pending events and tasks.

/// Event types of wire format v1 (see `shared/spec/events.md`).
enum EventType: UInt8, CaseIterable {
    case callStarted, callGreeting, callIVR, callRoutingFailed, callQueued, callRinging, callRingEnded
    case callAnswered, callTransferred, callEnded
    case agentJoined, agentLeft, agentStatus, departmentConfigured, missedHandled
    case leadCreated, leadAssigned, leadStatusChanged, leadConverted

    var name: String {
        switch self {
        case .callStarted: "call.started"
        case .callGreeting: "call.greeting"
        case .callIVR: "call.ivr"
        case .callRoutingFailed: "call.routing_failed"
        case .callQueued: "call.queued"
        case .callRinging: "call.ringing"
        case .callRingEnded: "call.ring_ended"
        case .callAnswered: "call.answered"
        case .callTransferred: "call.transferred"
        case .callEnded: "call.ended"
        case .agentJoined: "agent.joined"
        case .agentLeft: "agent.left"
        case .agentStatus: "agent.status"
        case .departmentConfigured: "department.configured"
        case .missedHandled: "missed.handled"
        case .leadCreated: "lead.created"
        case .leadAssigned: "lead.assigned"
        case .leadStatusChanged: "lead.status_changed"
        case .leadConverted: "lead.converted"
        }
    }
}

/// Producer names written in `source`.
enum EventSource: UInt8, CaseIterable {
    case pbx, crm, desk, admin

    var name: String {
        switch self {
        case .pbx: "sim-pbx"      // calls and presence
        case .crm: "sim-crm"      // leads
        case .desk: "sim-desk"    // manual dismissals (missed.handled)
        case .admin: "sim-admin"  // department settings and membership
        }
    }
}

/// One generated event waiting for delivery.
struct PendingEvent {
    /// Delivery order key: `at`, or later for an event delivered late.
    var key: Int64
    /// Occurred time (UTC milliseconds).
    var at: Int64
    /// Generation number; the event id is `sim<seed>-<seq>`.
    var seq: Int64
    /// Offset written in `at`, minutes east of UTC.
    var offset: Int16
    var type: EventType
    var source: EventSource
    /// For `call.started`: whether the direction is outbound (for the summary).
    var outbound: Bool = false
    /// The `data` object as JSON text (UTF-8).
    var data: [UInt8]
}

/// Opening hours of one week: per ISO weekday (Mon = 0) a list of [start, end) minutes.
struct WeekHours {
    var days: [[(Int, Int)]]
    /// For closed days: true = written as `[]`, false = key absent (both mean closed).
    var writeEmpty: [Bool]

    static let dayKeys = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    var json: String {
        var s = "{"
        var first = true
        for (i, ivals) in days.enumerated() {
            if ivals.isEmpty && !writeEmpty[i] { continue }
            if !first { s += "," }
            first = false
            s += "\"" + WeekHours.dayKeys[i] + "\":["
            for (j, iv) in ivals.enumerated() {
                if j > 0 { s += "," }
                s += "[\"" + WeekHours.hhmm(iv.0) + "\",\"" + WeekHours.hhmm(iv.1) + "\"]"
            }
            s += "]"
        }
        return s + "}"
    }

    static func hhmm(_ minutes: Int) -> String {
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }
}

struct DeptConfig {
    var from: Int64
    var hours: WeekHours
    var shortAbandonS: Int
    var serviceLevelS: Int
}

struct IVROption {
    var key: String
    var weight: Double
    /// Department the option routes to (another department's queue), if any.
    var routeTo: Int?
}

struct Dept {
    var index: Int
    var name: String
    var title: String
    var timezone: String
    var offset: Int16
    var lines: [String]
    var configs: [DeptConfig]
    var greetingMs: Int64
    var ivrProbability: Double
    var ivrOptions: [IVROption]
    var overflowTo: Int?
    var overflowProbability: Double
    var groupRingProbability: Double
    var leadProbability: Double
    var leadTypes: [String]
    var latinNames: Bool
    /// Every agent that is or was a member (agent indices, in joining order).
    var members: [Int] = []
    var supervisor: String { "supervisor-" + name }
}

struct Membership {
    var dept: Int
    var from: Int64
    var to: Int64
}

struct Agent {
    var id: String
    var name: String
    var home: Int
    var memberships: [Membership]
    /// Intervals with status `available`, in time order.
    var available: [(Int64, Int64)] = []
    var availableCursor = 0
    /// Reserved intervals (ringing, talking), not sorted.
    var busy: [(Int64, Int64)] = []
    var answerProbability: Double
    var rejectProbability: Double
    var lastFree: Int64 = 0
    var active = true
    var leavesAt: Int64? = nil

    func isMember(_ d: Int, _ t: Int64) -> Bool {
        for m in memberships where m.dept == d && m.from <= t && t < m.to { return true }
        return false
    }

    /// The `available` interval containing `t`. Intervals that ended by `now` are skipped for
    /// good (tasks run in time order, so nothing asks about the past again).
    mutating func availableInterval(containing t: Int64, now: Int64) -> (Int64, Int64)? {
        var i = availableCursor
        let n = available.count
        while i < n && available[i].1 <= now { i += 1 }
        if i != availableCursor { availableCursor = i }
        while i < n && available[i].0 <= t {
            if t < available[i].1 { return available[i] }
            i += 1
        }
        return nil
    }

    /// Neither ringing nor talking anywhere in [from, to).
    mutating func isFree(_ from: Int64, _ to: Int64, now: Int64) -> Bool {
        if busy.count > 6 { busy.removeAll { $0.1 <= now } }
        for b in busy where b.0 < to && from < b.1 { return false }
        return true
    }

    /// Latest instant the agent can stay on a call that starts at `t`: the end of its
    /// `available` interval or the next reservation, whichever is first.
    mutating func freeUntil(_ t: Int64, now: Int64) -> Int64 {
        guard let iv = availableInterval(containing: t, now: now) else { return t }
        var limit = iv.1
        for b in busy {
            if b.0 <= t && t < b.1 { return t }
            if b.0 > t && b.0 < limit { limit = b.0 }
        }
        return limit
    }

    /// Member of d, `available` and free over [t, t + span).
    mutating func canTake(_ d: Int, _ t: Int64, span: Int64, now: Int64) -> Bool {
        guard isMember(d, t), let iv = availableInterval(containing: t, now: now), iv.1 >= t + span else { return false }
        return isFree(t, t + span, now: now)
    }
}

struct Client {
    /// Digits with country code, e.g. "78312123654".
    var digits: String
    var russian: Bool
    /// The client's usual way of appearing (see `Engine.clientText`).
    var style: UInt8
    /// Departments where this client has an open episode (missed, not yet handled).
    var open: [Int] = []
}

enum TaskKind {
    /// client: -2 = choose when the call starts, -1 = hidden number, else a client index.
    case inbound(dept: Int, client: Int, attempt: Int)
    case outbound(dept: Int)
    case callback(dept: Int, client: Int, attempt: Int, tries: Int, viaOther: Bool)
    case dismissal(dept: Int, client: Int, forced: Bool)
}

struct SimTask {
    var time: Int64
    var seq: Int64
    var kind: TaskKind

    @inline(__always)
    func before(_ o: SimTask) -> Bool {
        time != o.time ? time < o.time : seq < o.seq
    }
}

/// Binary min-heap of tasks by (time, seq).
struct TaskHeap {
    private var items: [SimTask] = []

    var isEmpty: Bool { items.isEmpty }
    var first: SimTask? { items.first }

    mutating func push(_ t: SimTask) {
        items.append(t)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[i].before(items[p]) {
                items.swapAt(i, p)
                i = p
            } else { break }
        }
    }

    mutating func pop() -> SimTask? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n && items[l].before(items[m]) { m = l }
                if r < n && items[r].before(items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

/// Name material for agents (Cyrillic display names, Latin logins).
enum Names {
    static let surnames: [(String, String)] = [
        ("ivanov", "Иванов"), ("petrov", "Петров"), ("smirnov", "Смирнов"), ("kuznetsov", "Кузнецов"),
        ("popov", "Попов"), ("sokolov", "Соколов"), ("lebedev", "Лебедев"), ("kozlov", "Козлов"),
        ("novikov", "Новиков"), ("morozov", "Морозов"), ("volkov", "Волков"), ("solovyov", "Соловьёв"),
        ("vasilyev", "Васильев"), ("zaytsev", "Зайцев"), ("pavlov", "Павлов"), ("semyonov", "Семёнов"),
        ("golubev", "Голубев"), ("vinogradov", "Виноградов"), ("bogdanov", "Богданов"), ("vorobyov", "Воробьёв"),
    ]
    static let maleFirst: [(String, String)] = [
        ("Aleksey", "Алексей"), ("Dmitry", "Дмитрий"), ("Sergey", "Сергей"), ("Andrey", "Андрей"),
        ("Mikhail", "Михаил"), ("Ivan", "Иван"), ("Nikita", "Никита"), ("Artyom", "Артём"),
        ("Pavel", "Павел"), ("Oleg", "Олег"),
    ]
    static let femaleFirst: [(String, String)] = [
        ("Anna", "Анна"), ("Elena", "Елена"), ("Olga", "Ольга"), ("Maria", "Мария"),
        ("Natalya", "Наталья"), ("Ekaterina", "Екатерина"), ("Tatyana", "Татьяна"), ("Irina", "Ирина"),
        ("Yulia", "Юлия"), ("Svetlana", "Светлана"),
    ]
    static let hiddenNumbers = ["anonymous", "", "Unknown", "PRIVATE", "Restricted", "hidden", "Anonymous", "unavailable"]
    static let russianAreas = ["495", "499", "812", "831", "343", "383", "863", "903", "905", "909", "910", "915",
                               "916", "925", "926", "977", "985", "999", "912", "922"]
    static let dismissComments = [
        "Клиент написал в WhatsApp, вопрос решён",
        "Перезвонил сам на мобильный менеджера",
        "Ошибся номером",
        "Просил не звонить до понедельника",
        "Сказал \"больше не звонить\"",
        "Вопрос решён по e-mail\nзакрыто",
        "Дубль заявки с сайта",
        "Поставщик, не клиент (C:\\docs\\suppliers.xlsx)",
        "Записан на 14:00\tчерез сайт",
    ]
}
