// A small SPARQL syntax highlighter (ours, no dependencies): sparqlHighlight(text) -> HTML with <span class="tok-…">.
// Tokens follow the SPARQL 1.1 grammar (https://www.w3.org/TR/sparql11-query/#grammar): comments, IRIs,
// strings (short and long), variables, prefixed names, numbers, keywords and punctuation.
(function (global) {
  "use strict";
  var KEYWORDS = ("BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK DISTINCT REDUCED AS FROM NAMED WHERE ORDER BY ASC DESC " +
    "LIMIT OFFSET VALUES OPTIONAL GRAPH SERVICE SILENT BIND UNION MINUS FILTER GROUP HAVING UNDEF NOT IN EXISTS " +
    "COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS " +
    "CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR " +
    "MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG " +
    "STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE TRUE FALSE A").split(" ");
  var KW = {};
  KEYWORDS.forEach(function (k) { KW[k] = true; });
  // Order matters: the first alternative that matches at a position wins.
  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                        // 1 comment
    "(<[^<>\"{}|^`\\\\\\s]*>)",                          // 2 IRI
    "(\"\"\"[\\s\\S]*?(?:\"\"\"|$)|'''[\\s\\S]*?(?:'''|$)|\"(?:[^\"\\\\\\n]|\\\\.)*\"?|'(?:[^'\\\\\\n]|\\\\.)*'?)", // 3 string
    "([?$][A-Za-z0-9_\\u00C0-\\uFFFF]+)",                // 4 variable
    "(@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",                    // 5 language tag
    "([A-Za-z\\u00C0-\\uFFFF][\\w.\\-\\u00C0-\\uFFFF]*)?:([\\w\\-\\u00C0-\\uFFFF.%]*)", // 6,7 prefixed name
    "([+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+))",  // 8 number
    "([A-Za-z_]+)",                                      // 9 word (keyword or not)
    "(\\^\\^|[{}()\\[\\].,;*=!<>&|+/-])"                  // 10 punctuation
  ].join("|"), "g");

  function escape(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function span(cls, s) { return '<span class="tok-' + cls + '">' + escape(s) + "</span>"; }

  function sparqlHighlight(text) {
    var out = "", last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      if (m[0] === "") { TOKEN.lastIndex++; continue; }
      out += escape(text.slice(last, m.index));
      last = m.index + m[0].length;
      if (m[1]) out += span("comment", m[1]);
      else if (m[2]) out += span("iri", m[2]);
      else if (m[3]) out += span("string", m[3]);
      else if (m[4]) out += span("var", m[4]);
      else if (m[5]) out += span("lang", m[5]);
      else if (m[0].indexOf(":") >= 0 && m[8] === undefined && m[9] === undefined && m[10] === undefined)
        out += span("pname", m[0]);
      else if (m[8]) out += span("number", m[8]);
      else if (m[9]) out += KW[m[9].toUpperCase()] ? span("keyword", m[9]) : escape(m[9]);
      else out += span("punct", m[0]);
    }
    return out + escape(text.slice(last));
  }
  global.sparqlHighlight = sparqlHighlight;
  if (typeof module !== "undefined") module.exports = sparqlHighlight;
})(typeof window !== "undefined" ? window : this);
