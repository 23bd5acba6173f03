/// The simulation proper. One engine per `generate` call; not shared across threads.
///
/// Shape: a discrete-event loop. Each day first *seeds* what is known in advance (settings,
/// membership changes, presence, call arrivals, CRM web leads), then *processes tasks*
/// (inbound calls, outbound calls, callbacks, dismissals) in time order. Processing a task
/// writes all events of that call at once (their `at` lie at or after the task's time) and
/// reserves the agents it rings or connects, so later calls only ring members that are
/// `available` and not ringing or talking. After each day every event whose delivery key lies
/// before the next day's earliest start is sorted and delivered, so memory stays bounded and
/// output can stop early (`maxEvents`).
final class SimulationEngine {
    private let cfg: SimulatorConfiguration
    private var rng: SimRandom
    private var lateRng: SimRandom
    private let startDay: Int64
    private let dayCount: Int
    /// The period ends at local midnight after the last day, in each department's own zone.
    private let endLocalMs: Int64
    private let lateFraction: Double

    private var depts: [Dept] = []
    private var agents: [Agent] = []
    private var usedAgentIds = Set<String>()
    private var clients: [Client] = []
    private var clientKeys = Set<String>()
    private var tasks = TaskHeap()
    private var pending: [PendingEvent] = []
    private var seq: Int64 = 0
    private var taskSeq: Int64 = 0
    private var callCounter = 0
    private var leadCounter = 0
    private var now: Int64 = .min
    private var stopped = false
    private var maxOffsetMs: Int64 = 0
    private var minOffsetMs: Int64 = 0

    init(_ cfg: SimulatorConfiguration) {
        self.cfg = cfg
        rng = SimRandom(seed: cfg.seed, stream: 0)
        lateRng = SimRandom(seed: cfg.seed, stream: 1)
        startDay = SimClock.parseDate(cfg.startDate) ?? SimClock.parseDate("2026-11-16")!
        dayCount = max(0, cfg.days)
        endLocalMs = (startDay + Int64(dayCount)) * SimClock.msPerDay
        lateFraction = min(1, max(0, cfg.lateFraction.isNaN ? 0 : cfg.lateFraction))
    }

    // MARK: - Running

    func run(_ deliver: (PendingEvent) -> Bool) {
        setUpWorld()
        guard !depts.isEmpty else { return }
        for k in 0..<dayCount {
            seedDay(k)
            let limit = globalDayStart(k + 1)
            processTasks(before: limit)
            flush(before: limit, deliver)
            if stopped { return }
        }
        processTasks(before: (startDay + Int64(dayCount)) * SimClock.msPerDay - minOffsetMs)
        flush(before: .max, deliver)
    }

    /// Earliest UTC instant at which day k starts in any department.
    private func globalDayStart(_ k: Int) -> Int64 {
        (startDay + Int64(k)) * SimClock.msPerDay - maxOffsetMs
    }

    private func processTasks(before limit: Int64) {
        while let top = tasks.first, top.time < limit {
            _ = tasks.pop()
            now = max(now, top.time)
            switch top.kind {
            case let .inbound(dept, client, attempt):
                inboundCall(owner: dept, clientRef: client, attempt: attempt)
            case let .outbound(dept):
                unrelatedOutbound(dept: dept)
            case let .callback(dept, client, attempt, tries, viaOther):
                callback(dept: dept, client: client, attempt: attempt, tries: tries, viaOther: viaOther)
            case let .dismissal(dept, client, forced):
                dismissal(dept: dept, client: client, forced: forced)
            }
        }
    }

    private func flush(before threshold: Int64, _ deliver: (PendingEvent) -> Bool) {
        var ready: [PendingEvent] = []
        var rest: [PendingEvent] = []
        ready.reserveCapacity(pending.count)
        for e in pending {
            if e.key < threshold { ready.append(e) } else { rest.append(e) }
        }
        pending = rest
        ready.sort { $0.key != $1.key ? $0.key < $1.key : $0.seq < $1.seq }
        for e in ready where !deliver(e) {
            stopped = true
            return
        }
    }

    private func schedule(_ time: Int64, _ kind: TaskKind) {
        taskSeq += 1
        tasks.push(SimTask(time: max(time, now), seq: taskSeq, kind: kind))
    }

    /// Records one event. Events after the end of the period (local midnight after the last day)
    /// are not produced; calls in progress then simply stay without `call.ended`.
    @discardableResult
    private func emit(_ type: EventType, _ at: Int64, _ offset: Int16, _ source: EventSource, _ data: [UInt8]) -> Bool {
        if at + Int64(offset) * SimClock.msPerMinute >= endLocalMs { return false }
        seq += 1
        var key = at
        if lateFraction > 0 && lateRng.unit() < lateFraction {
            let r = lateRng.unit()
            key = at + (r < 0.5 ? lateRng.ms(1, 60) : r < 0.85 ? lateRng.ms(60, 1800) : lateRng.ms(1800, 6 * 3600))
        }
        pending.append(PendingEvent(key: key, at: at, seq: seq, offset: offset, type: type, source: source, data: data))
        return true
    }

    // MARK: - World

    private func setUpWorld() {
        let n = max(0, cfg.departments)
        for i in 0..<n { depts.append(makeDept(i)) }
        guard !depts.isEmpty else { return }
        maxOffsetMs = Int64(depts.map { Int($0.offset) }.max()!) * SimClock.msPerMinute
        minOffsetMs = Int64(depts.map { Int($0.offset) }.min()!) * SimClock.msPerMinute
        let perDept = max(0, cfg.agentsPerDepartment)
        for d in depts.indices {
            let from = dayStart(d, 0)
            for j in 0..<perDept {
                let a = newAgent(home: d, joinedAt: from)
                // One agent per department is weaker at picking up: exercises per-agent KPIs.
                if j == perDept - 1 && perDept > 1 {
                    agents[a].answerProbability = 0.55
                    agents[a].rejectProbability = 0.15
                }
            }
        }
        // The first support agent is also a member of sales (an agent in two departments).
        if depts.count >= 2 && perDept >= 2, let a = depts[1].members.first {
            agents[a].memberships.append(Membership(dept: 0, from: dayStart(0, 0), to: .max))
            depts[0].members.append(a)
        }
    }

    private func makeDept(_ i: Int) -> Dept {
        let week: [[(Int, Int)]]
        switch i {
        case 0:
            // mon–fri 09:00–18:00, sat 10:00–16:00, sun absent (closed)
            week = [[(540, 1080)], [(540, 1080)], [(540, 1080)], [(540, 1080)], [(540, 1080)], [(600, 960)], []]
            return Dept(index: i, name: "sales", title: "Отдел продаж", timezone: "Europe/Moscow", offset: 180,
                        lines: ["+74951234567", "+78005553535"],
                        configs: [DeptConfig(from: .min, hours: WeekHours(days: week, writeEmpty: Array(repeating: false, count: 7)),
                                             shortAbandonS: 10, serviceLevelS: 20)],
                        greetingMs: 4500, ivrProbability: 0.7,
                        ivrOptions: [IVROption(key: "1", weight: 0.55), IVROption(key: "2", weight: 0.3),
                                     IVROption(key: "3", weight: 0.05, routeTo: 2), IVROption(key: "0", weight: 0.05)],
                        overflowTo: 1, overflowProbability: 0.6, groupRingProbability: 0.05,
                        leadProbability: 0.22, leadTypes: ["purchase", "purchase", "consultation"], latinNames: false)
        case 1:
            week = [[(540, 1140)], [(540, 1140)], [(540, 1140)], [(540, 1140)], [(540, 1140)], [(600, 960)], [(600, 960)]]
            return Dept(index: i, name: "support", title: "Техподдержка", timezone: "Europe/Moscow", offset: 180,
                        lines: ["+74951234568"],
                        configs: [DeptConfig(from: .min, hours: WeekHours(days: week, writeEmpty: Array(repeating: false, count: 7)),
                                             shortAbandonS: 10, serviceLevelS: 20)],
                        greetingMs: 6000, ivrProbability: 1.0,
                        ivrOptions: [IVROption(key: "1", weight: 0.45), IVROption(key: "2", weight: 0.35),
                                     IVROption(key: "3", weight: 0.07, routeTo: 2), IVROption(key: "0", weight: 0.05)],
                        overflowTo: 0, overflowProbability: 0.3, groupRingProbability: 0.3,
                        leadProbability: 0.12, leadTypes: ["repair", "repair", "consultation"], latinNames: false)
        case 2:
            // split day with a lunch closure; closed weekend written as empty lists
            let day = [(540, 780), (840, 1080)]
            week = [day, day, day, day, day, [], []]
            return Dept(index: i, name: "billing", title: "Бухгалтерия", timezone: "Asia/Yekaterinburg", offset: 300,
                        lines: ["+73432123456"],
                        configs: [DeptConfig(from: .min, hours: WeekHours(days: week, writeEmpty: [false, false, false, false, false, true, true]),
                                             shortAbandonS: 10, serviceLevelS: 20)],
                        greetingMs: 3000, ivrProbability: 0,
                        ivrOptions: [],
                        overflowTo: nil, overflowProbability: 0, groupRingProbability: 0.05,
                        leadProbability: 0.03, leadTypes: ["consultation"], latinNames: false)
        default:
            week = [[(540, 1020)], [(540, 1020)], [(540, 1020)], [(540, 1020)], [(540, 1020)], [], []]
            let num = String(i + 1)
            let pad = String(repeating: "0", count: max(0, 4 - num.count)) + num
            return Dept(index: i, name: "dept" + num, title: "Department " + num, timezone: "UTC", offset: 0,
                        lines: ["+44207946" + pad],
                        configs: [DeptConfig(from: .min, hours: WeekHours(days: week, writeEmpty: Array(repeating: false, count: 7)),
                                             shortAbandonS: 10, serviceLevelS: 20)],
                        greetingMs: 5000, ivrProbability: 0.5,
                        ivrOptions: [IVROption(key: "1", weight: 0.6), IVROption(key: "2", weight: 0.4)],
                        overflowTo: 0, overflowProbability: 0.4, groupRingProbability: 0.1,
                        leadProbability: 0.1, leadTypes: ["purchase", "repair", "consultation"], latinNames: true)
        }
    }

    /// Creates an agent (member of `home` from `joinedAt`) and returns its index.
    private func newAgent(home d: Int, joinedAt: Int64) -> Int {
        let female = rng.chance(0.6)
        let sur = rng.pick(Names.surnames)
        let first = rng.pick(female ? Names.femaleFirst : Names.maleFirst)
        let login = sur.0 + (female ? "a" : "")
        var id = depts[d].name + "." + login
        var n = 2
        while usedAgentIds.contains(id) {
            id = depts[d].name + "." + login + String(n)
            n += 1
        }
        usedAgentIds.insert(id)
        let name = depts[d].latinNames
            ? first.0 + " " + login.prefix(1).uppercased() + login.dropFirst()
            : first.1 + " " + sur.1 + (female ? "а" : "")
        let agent = Agent(id: id, name: name, home: d,
                          memberships: [Membership(dept: d, from: joinedAt, to: .max)],
                          answerProbability: 0.66 + rng.unit() * 0.26,
                          rejectProbability: 0.02 + rng.unit() * 0.06,
                          lastFree: joinedAt)
        agents.append(agent)
        depts[d].members.append(agents.count - 1)
        return agents.count - 1
    }

    // MARK: - Calendar helpers

    /// UTC instant of local midnight of day k in department d.
    private func dayStart(_ d: Int, _ k: Int) -> Int64 {
        (startDay + Int64(k)) * SimClock.msPerDay - Int64(depts[d].offset) * SimClock.msPerMinute
    }

    private func offsetMs(_ d: Int) -> Int64 { Int64(depts[d].offset) * SimClock.msPerMinute }

    private func config(_ d: Int, at t: Int64) -> DeptConfig {
        let cs = depts[d].configs
        var i = cs.count - 1
        while i > 0 && cs[i].from > t { i -= 1 }
        return cs[i]
    }

    /// Open intervals of a local day number, from the settings in force at that day's noon.
    private func hours(_ d: Int, localDay dn: Int64) -> [(Int, Int)] {
        let noon = dn * SimClock.msPerDay + 12 * 3_600_000 - offsetMs(d)
        return config(d, at: noon).hours.days[SimClock.weekday(days: dn)]
    }

    private func isOpen(_ d: Int, _ t: Int64) -> Bool {
        let local = t + offsetMs(d)
        let dn = SimClock.floorDiv(local, SimClock.msPerDay)
        let minute = Int((local - dn * SimClock.msPerDay) / SimClock.msPerMinute)
        for iv in config(d, at: t).hours.days[SimClock.weekday(days: dn)] where iv.0 <= minute && minute < iv.1 {
            return true
        }
        return false
    }

    /// `t` when open, else the start of the next open interval (within 9 days), else nil.
    private func nextOpening(_ d: Int, _ t: Int64) -> Int64? {
        let local = t + offsetMs(d)
        let dn0 = SimClock.floorDiv(local, SimClock.msPerDay)
        for i in 0..<9 {
            let dn = dn0 + Int64(i)
            for iv in hours(d, localDay: dn) {
                let s = dn * SimClock.msPerDay + Int64(iv.0) * SimClock.msPerMinute - offsetMs(d)
                let e = dn * SimClock.msPerDay + Int64(iv.1) * SimClock.msPerMinute - offsetMs(d)
                if t < s { return s }
                if t < e { return t }
            }
        }
        return nil
    }

    /// A time inside working hours: `t` if open, else shortly after the next opening.
    private func workingTime(_ d: Int, _ t: Int64, lo: Double, hi: Double) -> Int64 {
        if isOpen(d, t) { return t }
        return (nextOpening(d, t) ?? t) + rng.ms(lo, hi)
    }

    // MARK: - Agents' availability

    private func isMember(_ a: Int, _ d: Int, _ t: Int64) -> Bool {
        agents[a].isMember(d, t)
    }

    private func freeUntil(_ a: Int, _ t: Int64) -> Int64 {
        let n = now
        return agents[a].freeUntil(t, now: n)
    }

    /// Members of d that are `available` and neither ringing nor talking over [t, t + span).
    private func freeAgents(_ d: Int, _ t: Int64, span: Int64, except: Int = -1) -> [Int] {
        let members = depts[d].members
        let n = now
        var out: [Int] = []
        agents.withUnsafeMutableBufferPointer { ag in
            for a in members where a != except && ag[a].canTake(d, t, span: span, now: n) {
                out.append(a)
            }
        }
        return out
    }

    private func reserve(_ a: Int, _ from: Int64, _ to: Int64) {
        agents[a].busy.append((from, to))
        if to > agents[a].lastFree { agents[a].lastFree = to }
    }

    /// Usually the longest-idle agent, sometimes any.
    private func chooseAgent(_ cands: [Int]) -> Int {
        if cands.count == 1 || rng.chance(0.3) { return rng.pick(cands) }
        var best = cands[0]
        for a in cands where agents[a].lastFree < agents[best].lastFree { best = a }
        return best
    }

    // MARK: - Clients

    private func newClient() -> Int {
        while true {
            var digits: String
            var russian = true
            let r = rng.unit()
            if r < 0.02 {
                russian = false
                switch rng.below(3) {
                case 0: digits = "37529" + randomDigits(7)
                case 1: digits = "38067" + randomDigits(7)
                default: digits = "49151" + randomDigits(8)
                }
            } else {
                digits = "7" + rng.pick(Names.russianAreas) + String(rng.int(1, 9)) + randomDigits(6)
            }
            if clientKeys.contains(digits) { continue }
            clientKeys.insert(digits)
            let s = rng.unit()
            let style: UInt8 = russian ? (s < 0.55 ? 0 : s < 0.75 ? 1 : s < 0.87 ? 2 : s < 0.92 ? 3 : 4)
                                       : (s < 0.7 ? 0 : s < 0.9 ? 1 : 3)
            clients.append(Client(digits: digits, russian: russian, style: style))
            return clients.count - 1
        }
    }

    private func randomDigits(_ n: Int) -> String {
        var s = ""
        for _ in 0..<n { s.append(Character(Unicode.Scalar(UInt8(48 + rng.below(10))))) }
        return s
    }

    /// How the number appears in an event. Mostly the client's own style; sometimes another
    /// style that normalises to the same digits (`+7…`, `7…`, `+7 (831) 212-36-54`, `007…`).
    private func clientText(_ c: Int) -> String {
        if c < 0 { return rng.pick(Names.hiddenNumbers) }
        let cl = clients[c]
        var style = cl.style
        if rng.chance(0.1) { style = cl.russian ? UInt8(rng.below(5)) : [0, 1, 3][rng.below(3)] }
        let d = cl.digits
        switch style {
        case 1: return d
        case 2, 4:
            let u = Array(d.utf8)
            func part(_ r: Range<Int>) -> String { String(decoding: u[r], as: UTF8.self) }
            return style == 2
                ? "+7 (" + part(1..<4) + ") " + part(4..<7) + "-" + part(7..<9) + "-" + part(9..<11)
                : "+7 " + part(1..<4) + " " + part(4..<7) + "-" + part(7..<9) + "-" + part(9..<11)
        case 3: return "00" + d
        default: return "+" + d
        }
    }

    private func pickInboundClient() -> Int {
        let r = rng.unit()
        if r < 0.03 { return -1 }
        if r < 0.35 && !clients.isEmpty { return rng.below(clients.count) }
        return newClient()
    }

    private func closeEpisodes(_ c: Int) {
        if c >= 0 { clients[c].open.removeAll() }
    }

    // MARK: - Day seeding

    private func seedDay(_ k: Int) {
        for d in depts.indices {
            if k == 0 { announceDepartment(d) }
            if k == 1 && d == (depts.count >= 2 ? 1 : 0) { reconfigure(d, k) }
            var leaving: Int? = nil
            var joined: Int? = nil
            if isChurnDay(k) && d == churnDept(k) { (leaving, joined) = churn(d, k) }
            for a in agents.indices where agents[a].home == d && agents[a].active {
                presence(a, k, notBefore: a == joined ? agents[a].lastFree + rng.ms(300, 900) : nil)
            }
            if let l = leaving { agents[l].active = false }
            seedTraffic(d, k)
        }
    }

    private func announceDepartment(_ d: Int) {
        let at = dayStart(d, 0)
        depts[d].configs[0].from = at
        emitConfig(d, at, depts[d].configs[0])
        for a in depts[d].members {
            var o = JSONObjectBuilder()
            o.plain("agent", agents[a].id)
            o.plain("department", depts[d].name)
            o.string("name", agents[a].name)
            emit(.agentJoined, at, agents[a].home == d ? depts[d].offset : depts[agents[a].home].offset, .admin, o.finish())
        }
    }

    private func emitConfig(_ d: Int, _ at: Int64, _ c: DeptConfig) {
        var o = JSONObjectBuilder()
        o.plain("department", depts[d].name)
        o.string("name", depts[d].title)
        o.plain("timezone", depts[d].timezone)
        o.raw("hours", c.hours.json)
        o.int("short_abandon_s", c.shortAbandonS)
        o.int("service_level_s", c.serviceLevelS)
        emit(.departmentConfigured, at, depts[d].offset, .admin, o.finish())
    }

    /// Settings change in force from day 2 on (reports must use the settings valid at each call).
    private func reconfigure(_ d: Int, _ k: Int) {
        var c = depts[d].configs[depts[d].configs.count - 1]
        c.from = dayStart(d, k)
        if d == 1 {
            for i in 0..<5 { c.hours.days[i] = [(480, 1200)] }  // weekdays 08:00–20:00
            c.serviceLevelS = 30
        } else {
            c.hours.days[5] = [(600, 1020)]
            c.serviceLevelS = 25
        }
        depts[d].configs.append(c)
        emitConfig(d, c.from, c)
    }

    /// Staff changes: on day min(days / 2, 2) (the middle of a short run), then every 7 days.
    private var firstChurnDay: Int { min(dayCount / 2, 2) }

    private func isChurnDay(_ k: Int) -> Bool {
        k >= firstChurnDay && (k - firstChurnDay) % 7 == 0
    }

    /// Support first, then the other departments in turn.
    private func churnDept(_ k: Int) -> Int {
        ((k - firstChurnDay) / 7 + 1) % depts.count
    }

    /// An agent leaves at ~12:30 local (offline first), a new one joins at ~13:00.
    private func churn(_ d: Int, _ k: Int) -> (Int?, Int?) {
        let base = dayStart(d, k)
        var leaving: Int? = nil
        let homeActive = depts[d].members.filter { agents[$0].home == d && agents[$0].active && agents[$0].memberships.count == 1 }
        if homeActive.count >= 2 {
            let a = rng.pick(homeActive)
            let t = base + 12 * 3_600_000 + 1_800_000 + rng.ms(0, 600)
            agents[a].leavesAt = t
            for i in agents[a].memberships.indices where agents[a].memberships[i].dept == d {
                agents[a].memberships[i].to = t
            }
            var o = JSONObjectBuilder()
            o.plain("agent", agents[a].id)
            o.plain("department", depts[d].name)
            emit(.agentLeft, t, depts[d].offset, .admin, o.finish())
            leaving = a
        }
        let jt = base + 13 * 3_600_000 + rng.ms(0, 300)
        let n = newAgent(home: d, joinedAt: jt)
        var o = JSONObjectBuilder()
        o.plain("agent", agents[n].id)
        o.plain("department", depts[d].name)
        o.string("name", agents[n].name)
        emit(.agentJoined, jt, depts[d].offset, .admin, o.finish())
        return (leaving, n)
    }

    private func emitStatus(_ a: Int, _ at: Int64, _ status: String, _ reason: String?) {
        var o = JSONObjectBuilder()
        o.plain("agent", agents[a].id)
        o.plain("status", status)
        if let reason { o.plain("reason", reason) }
        emit(.agentStatus, at, depts[agents[a].home].offset, .pbx, o.finish())
    }

    /// One working day of presence: available at shift start, breaks (lunch, coffee), an
    /// occasional DND, offline at the end. Records the `available` intervals for ringing.
    private func presence(_ a: Int, _ k: Int, notBefore: Int64?) {
        let d = agents[a].home
        let dn = startDay + Int64(k)
        let ivals = hours(d, localDay: dn)
        guard !ivals.isEmpty else { return }
        if notBefore == nil && agents[a].leavesAt == nil && rng.chance(0.08) { return } // day off
        let base = dayStart(d, k)
        let open = base + Int64(ivals[0].0) * SimClock.msPerMinute
        let close = base + Int64(ivals[ivals.count - 1].1) * SimClock.msPerMinute
        var start = rng.chance(0.08) ? open + rng.ms(300, 1800) : open - rng.ms(120, 1200)
        var end = rng.chance(0.04) ? close - rng.ms(1800, 5400) : close + rng.ms(0, 900)
        if let nb = notBefore { start = max(start, nb) }
        if let leaves = agents[a].leavesAt, leaves < end + 3_600_000 {
            end = min(end, leaves - rng.ms(600, 1800))
        }
        guard end - start >= 1_800_000 else { return }

        var pauses: [(Int64, Int64, String, String)] = []
        if ivals.count > 1 {
            for i in 1..<ivals.count {
                let gs = base + Int64(ivals[i - 1].1) * SimClock.msPerMinute
                let ge = base + Int64(ivals[i].0) * SimClock.msPerMinute
                pauses.append((gs + rng.ms(0, 180), ge - rng.ms(0, 300), "break", "lunch"))
            }
        } else if end - start >= 6 * 3_600_000 {
            let mid = start + (end - start) / 2 + rng.ms(-3600, 3600)
            pauses.append((mid, mid + rng.ms(1800, 3600), "break", "lunch"))
        }
        for _ in 0..<rng.int(0, 2) {
            let s = start + rng.ms(0, Double(end - start) / 1000)
            pauses.append((s, s + rng.ms(300, 900), "break", rng.chance(0.7) ? "coffee" : "personal"))
        }
        if rng.chance(0.12) {
            let s = start + rng.ms(0, Double(end - start) / 1000)
            pauses.append((s, s + rng.ms(900, 2400), "dnd", rng.pick(["training", "meeting", "paperwork"])))
        }
        pauses.sort { $0.0 < $1.0 }
        var kept: [(Int64, Int64, String, String)] = []
        var lastEnd = start + 900_000
        for p in pauses where p.0 >= lastEnd && p.1 <= end - 600_000 && p.1 > p.0 {
            kept.append(p)
            lastEnd = p.1 + 600_000
        }
        emitStatus(a, start, "available", nil)
        var from = start
        for p in kept {
            agents[a].available.append((from, p.0))
            emitStatus(a, p.0, p.2, p.3)
            emitStatus(a, p.1, "available", nil)
            from = p.1
        }
        agents[a].available.append((from, end))
        emitStatus(a, end, "offline", agents[a].leavesAt != nil ? "left" : (rng.chance(0.5) ? "shift_end" : nil))
    }

    /// Arrivals of the day: in-hours calls with a daily profile and one busy burst,
    /// out-of-hours calls (few, at night or on closed days), unrelated outbound calls,
    /// CRM web leads, and on the last day a call in the last minute (left in progress).
    private func seedTraffic(_ d: Int, _ k: Int) {
        let dn = startDay + Int64(k)
        let ivals = hours(d, localDay: dn)
        let base = dayStart(d, k)
        let perDay = Double(max(0, cfg.callsPerDepartmentPerDay))
        if ivals.isEmpty {
            let n = Int(perDay * 0.12 + 0.5)
            for _ in 0..<n { schedule(base + rng.ms(7 * 3600, 23 * 3600), .inbound(dept: d, client: -2, attempt: 0)) }
        } else {
            let weekday = SimClock.weekday(days: dn)
            let n = Int(perDay * (weekday < 5 ? 1.0 : 0.6) + 0.5)
            let outOfHours = n > 0 ? max(2, n * 3 / 100) : 0
            let inHours = max(0, n - outOfHours)
            let burstStart = sampleOpen(ivals, base)
            let burstCount = inHours * 20 / 100
            for i in 0..<inHours {
                var t: Int64
                if i < burstCount {
                    t = burstStart + rng.ms(0, 1800)
                    if !isOpen(d, t) { t = sampleOpen(ivals, base) }
                } else {
                    t = sampleOpen(ivals, base)
                }
                schedule(t, .inbound(dept: d, client: -2, attempt: 0))
            }
            for _ in 0..<outOfHours {
                var t = base + rng.ms(6 * 3600, 23.5 * 3600)
                var tries = 0
                while isOpen(d, t) && tries < 20 {
                    t = base + rng.ms(0, 24 * 3600)
                    tries += 1
                }
                if !isOpen(d, t) { schedule(t, .inbound(dept: d, client: -2, attempt: 0)) }
            }
            let outbound = n > 0 ? n * 5 / 100 + 1 : 0
            for _ in 0..<outbound { schedule(sampleOpen(ivals, base), .outbound(dept: d)) }
            if cfg.leads {
                let webLeads = n * 2 / 100
                for _ in 0..<webLeads {
                    let t = sampleOpen(ivals, base)
                    let c: Int? = rng.chance(0.8) ? (rng.chance(0.5) && !clients.isEmpty ? rng.below(clients.count) : newClient()) : nil
                    let assignee: String? = rng.chance(0.7) ? randomMemberId(d, t) : nil
                    createLead(d, t, client: c, callId: nil, assignee: assignee)
                }
            }
        }
        if k == dayCount - 1 {
            schedule(base + SimClock.msPerDay - rng.ms(0.5, 2.0), .inbound(dept: d, client: -2, attempt: 0))
        }
    }

    private static let hourWeights: [Double] = [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0, 1.2,
                                        1.1, 0.85, 1.0, 1.1, 1.0, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.3]

    /// A random instant inside the open intervals, shaped by `hourWeights`.
    private func sampleOpen(_ ivals: [(Int, Int)], _ base: Int64) -> Int64 {
        var total: Int64 = 0
        for iv in ivals { total += Int64(iv.1 - iv.0) * SimClock.msPerMinute }
        while true {
            var x = Int64(rng.unit() * Double(total))
            var local: Int64 = 0
            for iv in ivals {
                let len = Int64(iv.1 - iv.0) * SimClock.msPerMinute
                if x < len { local = Int64(iv.0) * SimClock.msPerMinute + x; break }
                x -= len
            }
            let hour = Int(local / 3_600_000) % 24
            if rng.unit() * 1.25 < SimulationEngine.hourWeights[hour] { return base + local }
        }
    }

    private func randomMemberId(_ d: Int, _ t: Int64) -> String {
        let ms = depts[d].members.filter { isMember($0, d, t) }
        return ms.isEmpty ? depts[d].supervisor : agents[rng.pick(ms)].id
    }

    // MARK: - Calls

    private func makeCallId(_ t: Int64) -> String {
        callCounter += 1
        return String(t / 1000) + "." + String(callCounter)
    }

    /// A call event with `call_id` first, then the given fields.
    @discardableResult
    private func callEvent(_ type: EventType, _ at: Int64, _ off: Int16, _ callId: String, _ fill: (inout JSONObjectBuilder) -> Void) -> Bool {
        var o = JSONObjectBuilder()
        o.plain("call_id", callId)
        fill(&o)
        return emit(type, at, off, .pbx, o.finish())
    }

    private func ended(_ at: Int64, _ off: Int16, _ callId: String, by: String, cause: String? = nil) {
        callEvent(.callEnded, at, off, callId) { o in
            o.plain("by", by)
            if let cause { o.plain("cause", cause) }
        }
    }

    /// ~1 in 50 call.started carries an unknown extra field (forward compatibility).
    private func maybeExtra(_ o: inout JSONObjectBuilder) {
        guard rng.below(50) == 0 else { return }
        if rng.chance(0.5) {
            o.plain("pbx_node", "n" + String(rng.int(1, 3)))
        } else {
            o.raw("sip", "{\"codec\":\"" + rng.pick(["opus", "PCMA", "G722"]) + "\",\"mos\":" + String(rng.int(3, 4)) + "." + String(rng.below(10)) + "}")
        }
    }

    /// Talk time: some under 30 s, most 30 s – 6 min, some up to 10 min.
    private func talkMs() -> Int64 {
        let r = rng.unit()
        if r < 0.14 { return rng.ms(4, 30) }
        if r < 0.85 {
            let u = rng.unit()
            return 30_000 + Int64(u * u * 450_000)
        }
        return rng.ms(360, 600)
    }

    /// How long a caller waits in the queue before giving up.
    private func patienceMs() -> Int64 {
        let r = rng.unit()
        if r < 0.08 { return rng.ms(4, 12) }
        if r < 0.45 { return rng.ms(12, 60) }
        if r < 0.85 { return rng.ms(60, 180) }
        return rng.ms(180, 420)
    }

    private enum MissKind { case outOfHours, routing, greeting, ivr, queue }

    /// An inbound call from start to end (or to the end of the period).
    private func inboundCall(owner d: Int, clientRef: Int, attempt: Int) {
        let t0 = now
        let off = depts[d].offset
        let client = clientRef == -2 ? pickInboundClient() : clientRef
        let callId = makeCallId(t0)
        let line = depts[d].lines.count > 1 && rng.chance(0.25) ? depts[d].lines[1] : depts[d].lines[0]
        let number = clientText(client)
        callEvent(.callStarted, t0, off, callId) { o in
            o.plain("direction", "inbound")
            o.string("client", number)
            o.plain("line", line)
            o.plain("department", depts[d].name)
            maybeExtra(&o)
        }
        // Routing failure: no forwarding scheme or a forbidden destination; the system hangs up.
        if rng.chance(0.012) {
            let tf = t0 + rng.ms(0.15, 0.9)
            let cause = rng.chance(0.6) ? "no_route" : "forbidden_destination"
            callEvent(.callRoutingFailed, tf, off, callId) { $0.plain("cause", cause) }
            let end = tf + rng.ms(0.2, 1.5)
            ended(end, off, callId, by: "system", cause: cause)
            missed(client, [d], .routing, owner: d, end, attempt)
            return
        }
        let greet = t0 + rng.ms(0.3, 1.2)
        callEvent(.callGreeting, greet, off, callId) { _ in }
        // Out of hours: the closed-message plays, then the caller or the system hangs up.
        if !isOpen(d, t0) {
            let len = rng.ms(8, 20)
            if rng.chance(0.6) {
                ended(greet + rng.ms(2, Double(len) / 1000), off, callId, by: "client")
            } else {
                ended(greet + len, off, callId, by: "system", cause: "closed")
            }
            missed(client, [d], .outOfHours, owner: d, greet + len, attempt)
            return
        }
        let greetEnd = greet + depts[d].greetingMs + rng.ms(0, 0.6)
        if rng.chance(0.03) {
            let end = greet + rng.ms(0.8, Double(depts[d].greetingMs) / 1000)
            ended(end, off, callId, by: "client")
            missed(client, [d], .greeting, owner: d, end, attempt)
            return
        }
        var queueDept = d
        var tq = greetEnd + rng.ms(0.1, 0.5)
        if !depts[d].ivrOptions.isEmpty && rng.chance(depts[d].ivrProbability) {
            let ivrStart = greetEnd + rng.ms(0.1, 0.4)
            if rng.chance(0.045) {
                // Gives up in the voice menu: at the top menu, or in a sub-menu after a choice.
                var end: Int64
                if rng.chance(0.5) {
                    callEvent(.callIVR, ivrStart, off, callId) { _ in }
                    end = ivrStart + rng.ms(3, 25)
                } else {
                    let t = ivrStart + rng.ms(2, 8)
                    let key = depts[d].ivrOptions[0].key
                    callEvent(.callIVR, t, off, callId) { $0.plain("option", key) }
                    callEvent(.callIVR, t + rng.ms(0.3, 0.8), off, callId) { _ in }
                    end = t + rng.ms(2, 15)
                }
                ended(end, off, callId, by: "client")
                missed(client, [d], .ivr, owner: d, end, attempt)
                return
            }
            var t = ivrStart + rng.ms(1.5, 9)
            let opt = depts[d].ivrOptions[rng.weighted(depts[d].ivrOptions.map(\.weight))]
            callEvent(.callIVR, t, off, callId) { $0.plain("option", opt.key) }
            if let r = opt.routeTo, r < depts.count { queueDept = r }
            if rng.chance(0.12) {
                t += rng.ms(2, 8)
                let key = rng.pick(["1", "2", "3"])
                callEvent(.callIVR, t, off, callId) { $0.plain("option", key) }
            }
            tq = t + rng.ms(0.3, 1.0)
        }
        // Short abandon: gone less than 10 s after the start (only reachable without the IVR).
        var deadline: Int64
        if tq < t0 + 9000 && rng.chance(0.07) {
            deadline = tq + 300 + Int64(rng.unit() * Double(max(0, t0 + 9800 - tq - 300)))
        } else {
            deadline = tq + patienceMs()
        }
        if rng.chance(0.002) { deadline = .max } // never hangs up: may still be queued at the end
        queue(callId: callId, off: off, client: client, owner: d, first: queueDept, at: tq,
              deadline: deadline, attempt: attempt)
    }

    private struct RingPlan {
        var agent: Int
        var start: Int64
        var outcome: String   // "answer", "rejected", "no_answer"
        var end: Int64        // answer time or ring end
        var talkEnd: Int64
    }

    private func planRing(_ a: Int, _ start: Int64) -> RingPlan {
        let r = rng.unit()
        let ag = agents[a]
        if r < ag.answerProbability {
            let at = start + (rng.chance(0.2) ? rng.ms(0.2, 1.0) : rng.ms(2, 16))
            var talk = talkMs()
            let limit = freeUntil(a, at) - 1000
            if at + talk > limit { talk = limit - at - rng.ms(0, 5) }
            if talk >= 5000 { return RingPlan(agent: a, start: start, outcome: "answer", end: at, talkEnd: at + talk) }
        } else if r < ag.answerProbability + ag.rejectProbability {
            return RingPlan(agent: a, start: start, outcome: "rejected", end: start + rng.ms(1, 6), talkEnd: 0)
        }
        return RingPlan(agent: a, start: start, outcome: "no_answer", end: start + rng.ms(18, 25), talkEnd: 0)
    }

    /// Distribution: queue in a department, ring free members one (or two) at a time,
    /// overflow to another department after ~60 s, until answered or the caller gives up.
    private func queue(callId: String, off: Int16, client: Int, owner: Int, first: Int, at tq: Int64,
               deadline: Int64, attempt: Int) {
        var cur = first
        var t = tq
        var missedIn: [Int] = []
        var lastRung: [Int] = []
        callEvent(.callQueued, t, off, callId) { $0.plain("department", depts[cur].name) }
        var overflowAt: Int64 = .max
        if let target = depts[cur].overflowTo, target != cur, target < depts.count,
           rng.chance(depts[cur].overflowProbability) {
            overflowAt = tq + rng.ms(45, 75)
        }
        while true {
            if t >= deadline {
                ended(deadline, off, callId, by: "client")
                missedIn.append(cur)
                missed(client, missedIn, .queue, owner: owner, deadline, attempt)
                return
            }
            if t >= overflowAt, let target = depts[cur].overflowTo {
                missedIn.append(cur)
                cur = target
                overflowAt = .max
                callEvent(.callQueued, t, off, callId) { $0.plain("department", depts[cur].name) }
                continue
            }
            if t + Int64(off) * SimClock.msPerMinute >= endLocalMs { return } // period over
            var cands = freeAgents(cur, t, span: 26_000)
            if cands.count > 1 && !lastRung.isEmpty {
                // Prefer someone who was not rung in the previous round.
                let others = cands.filter { !lastRung.contains($0) }
                if !others.isEmpty { cands = others }
            }
            if cands.isEmpty {
                t = min(t + rng.ms(2, 6), min(deadline, overflowAt))
                continue
            }
            var plans = [planRing(chooseAgent(cands), t)]
            if cands.count >= 2 && rng.chance(depts[cur].groupRingProbability) {
                let rest = cands.filter { $0 != plans[0].agent }
                plans.append(planRing(rng.pick(rest), t + rng.ms(0, 0.05)))
            }
            for p in plans {
                callEvent(.callRinging, p.start, off, callId) { $0.plain("agent", agents[p.agent].id) }
            }
            var winner: Int? = nil
            for (i, p) in plans.enumerated() where p.outcome == "answer" {
                if winner == nil || p.end < plans[winner!].end { winner = i }
            }
            let cycleEnd = winner.map { plans[$0].end } ?? plans.map(\.end).max()!
            if deadline < cycleEnd {
                // The caller hangs up while it rings: ring_ended caller_hung_up, or left open.
                for p in plans {
                    if p.outcome != "answer" && p.end <= deadline {
                        callEvent(.callRingEnded, p.end, off, callId) { o in
                            o.plain("agent", agents[p.agent].id); o.plain("outcome", p.outcome)
                        }
                        reserve(p.agent, p.start, p.end)
                    } else {
                        if rng.chance(0.65) {
                            callEvent(.callRingEnded, deadline, off, callId) { o in
                                o.plain("agent", agents[p.agent].id); o.plain("outcome", "caller_hung_up")
                            }
                        }
                        reserve(p.agent, p.start, deadline)
                    }
                }
                ended(deadline, off, callId, by: "client")
                missedIn.append(cur)
                missed(client, missedIn, .queue, owner: owner, deadline, attempt)
                return
            }
            if let w = winner {
                let win = plans[w]
                for (i, p) in plans.enumerated() where i != w {
                    if p.outcome != "answer" && p.end < win.end {
                        callEvent(.callRingEnded, p.end, off, callId) { o in
                            o.plain("agent", agents[p.agent].id); o.plain("outcome", p.outcome)
                        }
                        reserve(p.agent, p.start, p.end)
                    } else {
                        if rng.chance(0.6) {
                            callEvent(.callRingEnded, win.end, off, callId) { o in
                                o.plain("agent", agents[p.agent].id); o.plain("outcome", "answered_elsewhere")
                            }
                        }
                        reserve(p.agent, p.start, win.end)
                    }
                }
                callEvent(.callAnswered, win.end, off, callId) { $0.plain("agent", agents[win.agent].id) }
                // The overflow source missed it; the answer closes the client's episodes.
                if !missedIn.isEmpty { missed(client, missedIn, .queue, owner: owner, t, attempt, followUps: false) }
                closeEpisodes(client)
                var talker = win.agent
                var talkerFrom = win.start
                let talk = win.talkEnd - win.end
                if talk > 60_000 && rng.chance(0.06) {
                    let tx = win.end + rng.ms(20, Double(talk) / 1000 - 15)
                    var toDept: Int? = nil
                    var targets = freeAgents(cur, tx, span: win.talkEnd - tx + 1000, except: win.agent)
                    if depts.count > 1 && rng.chance(0.2) {
                        let other = (cur + 1 + rng.below(depts.count - 1)) % depts.count
                        targets = freeAgents(other, tx, span: win.talkEnd - tx + 1000, except: win.agent)
                        toDept = other
                    }
                    if !targets.isEmpty {
                        let to = rng.pick(targets)
                        callEvent(.callTransferred, tx, off, callId) { o in
                            o.plain("agent", agents[win.agent].id)
                            o.plain("to_agent", agents[to].id)
                            if let td = toDept { o.plain("to_department", depts[td].name) }
                        }
                        reserve(win.agent, win.start, tx)
                        talker = to
                        talkerFrom = tx
                    }
                }
                reserve(talker, talkerFrom, win.talkEnd)
                ended(win.talkEnd, off, callId, by: rng.chance(0.55) ? "client" : "agent")
                if cfg.leads && client >= 0 && rng.chance(depts[cur].leadProbability) {
                    createLead(cur, win.talkEnd + rng.ms(60, 900), client: client, callId: callId,
                               assignee: rng.chance(0.9) ? agents[win.agent].id : nil)
                }
                return
            }
            for p in plans {
                callEvent(.callRingEnded, p.end, off, callId) { o in
                    o.plain("agent", agents[p.agent].id); o.plain("outcome", p.outcome)
                }
                reserve(p.agent, p.start, p.end)
            }
            lastRung = plans.map(\.agent)
            t = cycleEnd + rng.ms(1, 4)
        }
    }

    /// A call of a known client became missed in `missedIn` (the last is where it ended).
    /// Opens episodes, and decides what happens next: the client calls again, the department
    /// calls back (sometimes the next day, sometimes from another department), or somebody
    /// dismisses the missed call by hand.
    private func missed(_ c: Int, _ missedIn: [Int], _ kind: MissKind, owner: Int, _ end: Int64, _ attempt: Int,
                followUps: Bool = true) {
        guard c >= 0 else { return }
        for d in missedIn where !clients[c].open.contains(d) { clients[c].open.append(d) }
        guard followUps, let final = missedIn.last else { return }
        if attempt < 3 && rng.chance(kind == .outOfHours ? 0.2 : 0.3) {
            let r = rng.unit()
            let delay = r < 0.5 ? rng.ms(20, 300) : r < 0.85 ? rng.ms(300, 3600) : rng.ms(7200, 72000)
            schedule(end + delay, .inbound(dept: owner, client: c, attempt: attempt + 1))
        }
        let target = missedIn.count > 1 && rng.chance(0.3) ? missedIn[0] : final
        if rng.chance(kind == .outOfHours ? 0.7 : 0.62) {
            var when: Int64
            let r = rng.unit()
            if kind == .outOfHours {
                when = (nextOpening(target, end) ?? end) + rng.ms(300, 5400)
            } else {
                when = end + (r < 0.4 ? rng.ms(60, 300) : r < 0.7 ? rng.ms(300, 1800)
                              : r < 0.9 ? rng.ms(1800, 10800) : rng.ms(64800, 86400))
                when = workingTime(target, when, lo: 300, hi: 7200)
            }
            let viaOther = depts.count > 1 && rng.chance(0.08)
            schedule(when, .callback(dept: target, client: c, attempt: 1, tries: 0, viaOther: viaOther))
        } else if rng.chance(0.45) {
            let when = workingTime(target, end + rng.ms(900, 14400), lo: 600, hi: 3600)
            schedule(when, .dismissal(dept: target, client: c, forced: rng.chance(0.05)))
        }
    }

    /// Outbound leg: the agent dials; the client answers (then talk) or not (no_answer, busy),
    /// or the agent gives up dialling. Returns whether it connected.
    @discardableResult
    private func outboundCall(agent a: Int, deptName: String, line: String, client: Int, off: Int16,
                      answerProbability: Double) -> (connected: Bool, end: Int64, callId: String) {
        let t0 = now
        let callId = makeCallId(t0)
        let number = clientText(client)
        let started = callEvent(.callStarted, t0, off, callId) { o in
            o.plain("direction", "outbound")
            o.string("client", number)
            o.plain("line", line)
            o.plain("agent", agents[a].id)
            o.plain("department", deptName)
            maybeExtra(&o)
        }
        if started { pending[pending.count - 1].outbound = true }
        let r = rng.unit()
        if r < answerProbability {
            let at = t0 + rng.ms(6, 25)
            var talk = rng.chance(0.2) ? rng.ms(5, 30) : rng.ms(30, 300)
            let limit = freeUntil(a, t0) - 1000
            if at + talk > limit { talk = max(3000, limit - at) }
            callEvent(.callAnswered, at, off, callId) { $0.plain("agent", agents[a].id) }
            let end = at + talk
            ended(end, off, callId, by: rng.chance(0.5) ? "agent" : "client")
            reserve(a, t0, end)
            closeEpisodes(client)
            return (true, end, callId)
        }
        var end: Int64
        if r < answerProbability + (1 - answerProbability) * 0.65 {
            end = t0 + rng.ms(25, 45)
            ended(end, off, callId, by: "system", cause: "no_answer")
        } else if r < 0.97 {
            end = t0 + rng.ms(2, 6)
            ended(end, off, callId, by: "system", cause: "busy")
        } else {
            end = t0 + rng.ms(3, 9)
            ended(end, off, callId, by: "agent", cause: "cancelled")
        }
        reserve(a, t0, end)
        return (false, end, callId)
    }

    /// A callback attempt to a client with a missed call in `d`.
    private func callback(dept d: Int, client c: Int, attempt: Int, tries: Int, viaOther: Bool) {
        // Already reached (called back, got through, dismissed)? Usually nobody calls again.
        if !clients[c].open.contains(d) && !rng.chance(0.1) { return }
        var agentDept = d
        if viaOther { agentDept = (d + 1 + rng.below(depts.count - 1)) % depts.count }
        let cands = freeAgents(agentDept, now, span: 90_000)
        if cands.isEmpty {
            guard tries < 25 else { return }
            let next = workingTime(agentDept, now + rng.ms(120, 600), lo: 300, hi: 3600)
            schedule(next, .callback(dept: d, client: c, attempt: attempt, tries: tries + 1, viaOther: viaOther))
            return
        }
        let a = rng.pick(cands)
        let result = outboundCall(agent: a, deptName: depts[agentDept].name, line: depts[agentDept].lines[0],
                                  client: c, off: depts[agentDept].offset, answerProbability: 0.55)
        if result.connected {
            if cfg.leads && rng.chance(0.2) {
                createLead(d, result.end + rng.ms(60, 600), client: c, callId: result.callId, assignee: agents[a].id)
            }
            if rng.chance(0.03) {  // a dismissal that finds no open episode
                schedule(result.end + rng.ms(600, 7200), .dismissal(dept: d, client: c, forced: true))
            }
        } else if attempt < 3 && rng.chance(0.55) {
            let next = workingTime(d, result.end + rng.ms(600, 5400), lo: 300, hi: 3600)
            schedule(next, .callback(dept: d, client: c, attempt: attempt + 1, tries: 0, viaOther: viaOther))
        } else if rng.chance(0.35) {
            schedule(result.end + rng.ms(300, 3600), .dismissal(dept: d, client: c, forced: false))
        }
    }

    /// An outbound call not caused by a missed call (follow-ups, sales calls).
    private func unrelatedOutbound(dept d: Int) {
        let cands = freeAgents(d, now, span: 90_000)
        guard !cands.isEmpty else { return }
        let c = !clients.isEmpty && rng.chance(0.6) ? rng.below(clients.count) : newClient()
        outboundCall(agent: rng.pick(cands), deptName: depts[d].name, line: depts[d].lines[0], client: c,
                     off: depts[d].offset, answerProbability: 0.6)
    }

    private static let dismissReasons = ["called_back_other_channel", "not_a_client", "spam", "duplicate", "other"]

    /// A person dismisses the client's open missed call by hand.
    private func dismissal(dept d: Int, client c: Int, forced: Bool) {
        let open = clients[c].open.contains(d)
        guard open || forced else { return }
        let reason = open ? SimulationEngine.dismissReasons[rng.weighted([0.35, 0.15, 0.15, 0.15, 0.2])] : "duplicate"
        let by = rng.chance(0.55) ? depts[d].supervisor : randomMemberId(d, now)
        let number = clientText(c)
        var o = JSONObjectBuilder()
        o.plain("department", depts[d].name)
        o.string("client", number)
        o.plain("by", by)
        o.plain("reason", reason)
        if reason == "other" || rng.chance(0.25) { o.string("comment", rng.pick(Names.dismissComments)) }
        emit(.missedHandled, now, depts[d].offset, .desk, o.finish())
        clients[c].open.removeAll { $0 == d }
    }

    // MARK: - Leads

    private static let statusGroups: [String: String] = [
        "new": "new", "in_work": "in_progress", "waiting_parts": "in_progress", "done": "closed_success",
        "price": "closed_failure", "too_slow": "closed_failure", "no_answer": "closed_failure",
        "changed_mind": "closed_failure",
    ]

    /// A CRM lead and its whole life: status changes (sometimes back and forth), re-assignments,
    /// success with a conversion, failure with a reason (sometimes converted later anyway), or
    /// still open. Events after the end of the period are not produced.
    private func createLead(_ d: Int, _ c0: Int64, client: Int?, callId: String?, assignee: String?) {
        leadCounter += 1
        let num = String(leadCounter)
        let leadId = "L-" + String(repeating: "0", count: max(0, 6 - num.count)) + num
        let off = depts[d].offset
        let type = rng.pick(depts[d].leadTypes)
        let number = client.map { clientText($0) }
        var o = JSONObjectBuilder()
        o.plain("lead_id", leadId)
        o.plain("type", type)
        if let number { o.string("client", number) }
        if let callId { o.plain("call_id", callId) }
        if let assignee { o.plain("assignee", assignee) }
        emit(.leadCreated, c0, off, .crm, o.finish())

        func status(_ t: Int64, _ name: String) {
            var o = JSONObjectBuilder()
            o.plain("lead_id", leadId)
            o.plain("status", name)
            o.plain("group", SimulationEngine.statusGroups[name]!)
            emit(.leadStatusChanged, t, off, .crm, o.finish())
        }
        func assign(_ t: Int64) {
            var o = JSONObjectBuilder()
            o.plain("lead_id", leadId)
            o.plain("assignee", randomMemberId(d, t))
            emit(.leadAssigned, t, off, .crm, o.finish())
        }
        func convert(_ t: Int64) {
            let into = type == "purchase" ? "sale" : type == "repair" ? "order" : (rng.chance(0.5) ? "order" : "sale")
            var o = JSONObjectBuilder()
            o.plain("lead_id", leadId)
            o.plain("into", into)
            if rng.chance(0.95) {
                let rub = type == "purchase" ? rng.int(1500, 120_000) : type == "repair" ? rng.int(800, 25_000) : rng.int(500, 5000)
                let kop = rng.chance(0.2) ? rng.int(1, 99) : 0
                o.raw("amount", String(rub) + (kop == 0 ? "" : "." + (kop < 10 ? "0" : "") + String(kop)))
            }
            emit(.leadConverted, t, off, .crm, o.finish())
        }

        var t = c0
        if rng.chance(0.9) { t += rng.ms(1, 20); status(t, "new") }
        if assignee == nil { t += rng.ms(120, 1800); assign(t) }
        if rng.chance(0.15) { t += rng.ms(1800, 86400); assign(t) }
        if rng.chance(0.85) { t += rng.ms(300, 10800); status(t, "in_work") }
        if type == "repair" && rng.chance(0.35) {
            t += rng.ms(3600, 86400); status(t, "waiting_parts")
            t += rng.ms(3600, 172_800); status(t, "in_work")
        }
        let r = rng.unit()
        if r < 0.45 {
            t += rng.ms(7200, 259_200)
            if rng.chance(0.3) {
                convert(t); status(t + rng.ms(1, 600), "done")
            } else {
                status(t, "done"); convert(t + rng.ms(0, 1800))
            }
            if type == "purchase" && rng.chance(0.1) { convert(t + rng.ms(86400, 172_800)) }
        } else if r < 0.8 {
            t += rng.ms(3600, 172_800)
            status(t, rng.pick(["price", "too_slow", "no_answer", "changed_mind"]))
            let back = rng.unit()
            if back < 0.1 {  // reopened and won after all
                t += rng.ms(86400, 259_200); status(t, "in_work")
                t += rng.ms(3600, 86400); status(t, "done"); convert(t + rng.ms(0, 600))
            } else if back < 0.14 {  // converted while still closed as a failure
                convert(t + rng.ms(86400, 259_200))
            }
        }
        // else: stays open (in progress)
    }
}
