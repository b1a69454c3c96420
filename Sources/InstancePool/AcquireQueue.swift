// Waiting acquires, served round robin across clients (deficit-free fair queuing with one item
// per turn): a client that queues 50 requests cannot starve one that queues 1, because each
// client gets one instance per round, and within a client requests keep their order.
//
// A client joins the rotation just before the cursor, i.e. last in the circular order from the
// client served next: every client already waiting gets one turn before the newcomer's first, and
// nobody waits more than one turn of each other client.
// Pure value type: the pool owns one, tests drive it directly.

struct AcquireQueue<Item> {
    private var items: [Int: [Item]] = [:]
    /// Clients with waiting items, in service order.
    private(set) var rotation: [Int] = []
    /// Index in `rotation` of the client served next.
    private var cursor = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    func count(client: Int) -> Int { items[client]?.count ?? 0 }

    mutating func append(_ item: Item, client: Int) {
        if items[client] == nil {
            let position = rotation.isEmpty ? 0 : min(cursor, rotation.count)
            rotation.insert(client, at: position)
            cursor = position + 1
            items[client] = []
        }
        items[client, default: []].append(item)
        count += 1
    }

    /// The next item in fair order that `fits`, removed from the queue. Each client offers its
    /// oldest item that fits (an item that cannot use this instance does not block its client's
    /// later ones that can). The client served moves to the back of the round.
    mutating func popNext(where fits: (Item) -> Bool) -> Item? {
        guard !rotation.isEmpty else { return nil }
        let start = cursor % rotation.count
        for step in 0..<rotation.count {
            let position = (start + step) % rotation.count
            let client = rotation[position]
            guard var queue = items[client], let index = queue.firstIndex(where: fits) else { continue }
            let item = queue.remove(at: index)
            count -= 1
            if queue.isEmpty {
                items[client] = nil
                rotation.remove(at: position)
                cursor = rotation.isEmpty ? 0 : position % rotation.count
            } else {
                items[client] = queue
                cursor = (position + 1) % rotation.count
            }
            return item
        }
        return nil
    }

    /// Removes every item `matches` selects; returns them in service order.
    mutating func removeAll(where matches: (Item) -> Bool) -> [Item] {
        var removed: [Item] = []
        for client in rotation {
            guard var queue = items[client] else { continue }
            let taken = queue.filter(matches)
            guard !taken.isEmpty else { continue }
            queue.removeAll(where: matches)
            removed += taken
            count -= taken.count
            items[client] = queue
        }
        dropEmptyClients()
        return removed
    }

    /// Removes a client's items (it disconnected).
    mutating func remove(client: Int) -> [Item] {
        guard let queue = items[client] else { return [] }
        items[client] = nil
        count -= queue.count
        dropEmptyClients()
        return queue
    }

    /// All items in the order they would be served if every one fitted.
    var inServiceOrder: [Item] {
        guard !rotation.isEmpty else { return [] }
        var copy = self
        var ordered: [Item] = []
        while let item = copy.popNext(where: { _ in true }) { ordered.append(item) }
        return ordered
    }

    private mutating func dropEmptyClients() {
        var position = 0
        while position < rotation.count {
            if items[rotation[position]]?.isEmpty ?? true {
                items[rotation[position]] = nil
                rotation.remove(at: position)
                if position < cursor { cursor -= 1 }
            } else {
                position += 1
            }
        }
        cursor = rotation.isEmpty ? 0 : cursor % rotation.count
    }
}
