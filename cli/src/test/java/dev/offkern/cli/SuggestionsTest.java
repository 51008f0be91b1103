package dev.offkern.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.Structures;
import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {

    private static final List<String> COMMANDS = List.of("layouts", "probe", "poolmon", "dump", "completion");

    @Test
    void shouldCountInsertionsDeletionsSubstitutionsAndNeighbourSwapsAsOneEach() {
        assertEquals(0, Suggestions.distance("KTIMER", "KTIMER"));
        assertEquals(1, Suggestions.distance("KTIMR", "KTIMER"));
        assertEquals(1, Suggestions.distance("KTIMERS", "KTIMER"));
        assertEquals(1, Suggestions.distance("KTIMEX", "KTIMER"));
        assertEquals(1, Suggestions.distance("KTMIER", "KTIMER"));
        assertEquals(6, Suggestions.distance("", "KTIMER"));
        assertEquals(3, Suggestions.distance("abc", "xyz"));
    }

    @Test
    void shouldSuggestTheNearestStructureIgnoringCase() {
        assertEquals(List.of("SLIST_HEADER"), Suggestions.nearest("slist_headr", Structures.names()));
        assertEquals(List.of("KTIMER"), Suggestions.nearest("ktimre", Structures.names()));
        assertEquals(List.of("EPROCESS"), Suggestions.nearest("eproces", Structures.names()));
    }

    @Test
    void shouldSuggestACommandByItsBeginning() {
        assertEquals(List.of("layouts"), Suggestions.nearest("lay", COMMANDS));
        assertEquals(List.of("poolmon"), Suggestions.nearest("pool", COMMANDS));
        assertEquals(List.of("completion"), Suggestions.nearest("comp", COMMANDS));
    }

    @Test
    void shouldSuggestNothingWhenNothingIsNear() {
        assertEquals(List.of(), Suggestions.nearest("frobnicate", COMMANDS));
        assertEquals(List.of(), Suggestions.nearest("NOPE", Structures.names()));
        assertEquals("", Suggestions.didYouMean("zzzzzzzz", Structures.names()));
    }

    @Test
    void shouldNeverNameMoreThanThreeNames() {
        for (String typed : List.of("K", "KE", "KT", "EX_", "_", "LIST", "S", "KSPIN", "POOL", "X")) {
            List<String> near = Suggestions.nearest(typed, Structures.names());
            assertTrue(near.size() <= Suggestions.MAX, typed + " -> " + near);
        }
    }

    @Test
    void shouldJoinTwoOrThreeNamesWithOr() {
        assertEquals("; did you mean ab?", Suggestions.didYouMean("abx", List.of("ab", "zzzz")));
        assertEquals("; did you mean abc or abd?", Suggestions.didYouMean("abx", List.of("abc", "abd", "zzzz")));
        assertEquals("; did you mean abc, abd or abe?", Suggestions.didYouMean("abx", List.of("abc", "abd", "abe", "abf")));
    }

    @Test
    void shouldAllowMoreEditsForLongerNames() {
        assertEquals(1, Suggestions.limit(3));
        assertEquals(2, Suggestions.limit(6));
        assertEquals(3, Suggestions.limit(7));
    }
}
