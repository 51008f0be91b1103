package dev.offkern.bench.peers;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The textbook Treiber stack on an {@link AtomicReference}: a new node per push (the GC rules out
 * ABA, so no sequence number is needed), a CAS loop for push and pop. The on-heap peer of SLIST.
 */
public final class TreiberStack<T> {
    private static final class Node<T> {
        final T item;
        Node<T> next;

        Node(T item) {
            this.item = item;
        }
    }

    private final AtomicReference<Node<T>> top = new AtomicReference<>();

    public void push(T item) {
        Node<T> n = new Node<>(item);
        Node<T> old;
        do {
            old = top.get(); // volatile read: pairs with the CAS of other pushes/pops
            n.next = old;
        } while (!top.compareAndSet(old, n)); // volatile CAS: linearization point
    }

    /** The top item, or null if empty. */
    public T pop() {
        Node<T> old;
        do {
            old = top.get(); // volatile read: an empty pop linearizes here
            if (old == null) {
                return null;
            }
        } while (!top.compareAndSet(old, old.next)); // volatile CAS: linearization point
        return old.item;
    }
}
