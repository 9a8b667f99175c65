"""Placing completions in minimum-count slots (area minimums, required attendances) by maximum matching.

A completion can fill one slot of any group it qualifies for, and at most one slot overall. Completions are
added one at a time; each addition looks for an augmenting path (moving earlier completions to other groups
they also qualify for when that frees a place), so the matching is maximum after every step. This is
maximum flow on a graph of completions and groups with group capacities equal to their minimums; a greedy
pass that keeps every first choice can leave a minimum unmet that a different placement would meet.
"""

from __future__ import annotations


class SlotMatching:
    """A maximum matching of items (numbered 0, 1, ... in the order added) to capacity-limited groups."""

    __slots__ = ("capacity", "members", "group_of", "options", "filled", "total")

    def __init__(self, capacities: tuple[int, ...] | list[int]):
        self.capacity = list(capacities)
        self.members: list[list[int]] = [[] for _ in self.capacity]
        self.group_of: list[int] = []
        self.options: list[tuple[int, ...]] = []
        self.filled = 0
        self.total = sum(self.capacity)

    @property
    def complete(self) -> bool:
        """Whether every group holds its full capacity."""
        return self.filled >= self.total

    def add(self, options: tuple[int, ...]) -> bool:
        """Add the next item, which may go in any of `options`; True when the matching grew by it."""
        item = len(self.group_of)
        self.group_of.append(-1)
        self.options.append(options)
        if not options or self.filled >= self.total:
            return False
        for group in options:  # the common case: a free place, no search needed
            members = self.members[group]
            if len(members) < self.capacity[group]:
                members.append(item)
                self.group_of[item] = group
                self.filled += 1
                return True
        if self._place(item, set()):
            self.filled += 1
            return True
        return False

    def try_add(self, options: tuple[int, ...]) -> bool:
        """Add an item only if it grows the matching; True when it did (a failed search changes nothing)."""
        if self.add(options):
            return True
        self.group_of.pop()
        self.options.pop()
        return False

    def _place(self, item: int, visited: set[int]) -> bool:
        options = self.options[item]
        members = self.members
        for group in options:
            if group not in visited and len(members[group]) < self.capacity[group]:
                members[group].append(item)
                self.group_of[item] = group
                return True
        for group in options:
            if group in visited:
                continue
            visited.add(group)
            for index, other in enumerate(members[group]):
                if self._place(other, visited):
                    members[group][index] = item
                    self.group_of[item] = group
                    return True
        return False

    def count(self, group: int) -> int:
        """How many items hold a slot of this group."""
        return len(self.members[group])
