// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * jsonq: the little of jq that the test suite needs, for JSON-lines files
 * (the busybox VM guests have no jq). Every line is parsed by a strict
 * RFC 8259 parser, so `jsonq -v` doubles as the proof that rxlat writes
 * valid JSON.
 *
 * Values are printed in one canonical form so that shell tests can compare
 * them as strings: numbers exactly as written (64-bit counters stay exact;
 * nothing goes through a double), strings decoded to raw UTF-8, literals as
 * words, containers as compact JSON, and "missing" for an absent path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 512	/* RFC 8259 allows a limit; this one keeps recursion safe */

enum type { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };

/*
 * One line's values, in one array. Indexes rather than pointers, since the
 * arrays grow while parsing. Text lives in `text` (decoded strings and member
 * names) or, for numbers, in the line itself.
 */
struct node {
	enum type type;
	size_t key, klen;	/* member name in text[], for object members */
	size_t val, vlen;	/* J_STR: text[]; J_NUM: the line */
	int first, next;	/* children of J_ARR/J_OBJ, sibling chain; -1 ends */
};

static struct node *nodes;
static size_t nnodes, nodes_cap;
static char *text;
static size_t ntext, text_cap;

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	*cap = need > 2 * *cap ? need : 2 * *cap;
	p = realloc(p, *cap * size);
	if (!p) {
		fputs("jsonq: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static int new_node(enum type type)
{
	nodes = grow(nodes, &nodes_cap, nnodes + 1, sizeof(*nodes));
	nodes[nnodes] = (struct node){.type = type, .first = -1, .next = -1};
	return nnodes++;
}

static void text_add(const void *s, size_t len)
{
	text = grow(text, &text_cap, ntext + len, 1);
	memcpy(text + ntext, s, len);
	ntext += len;
}

/* --- parser -------------------------------------------------------------- */

struct parser {
	const char *s;	/* the line, without its newline */
	size_t len, pos;
	char err[128];	/* the first error, with its column */
};

static int __attribute__((format(printf, 2, 3))) fail(struct parser *p, const char *fmt, ...)
{
	char msg[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, sizeof(p->err), "column %zu: %s", p->pos + 1, msg);
	return -1;
}

/* What is at the cursor, for error messages. */
static int unexpected(struct parser *p, const char *wanted)
{
	unsigned char c = p->pos < p->len ? p->s[p->pos] : 0;

	if (p->pos >= p->len)
		return fail(p, "unexpected end of line, %s expected", wanted);
	if (c > 0x20 && c < 0x7f)
		return fail(p, "unexpected '%c', %s expected", c, wanted);
	return fail(p, "unexpected byte 0x%02x, %s expected", c, wanted);
}

static int peek(struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
		p->pos++;
	}
}

static int digits(struct parser *p)
{
	size_t start = p->pos;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos > start;
}

static int parse_number(struct parser *p)
{
	size_t start = p->pos;
	int n;

	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0') {
		p->pos++;
		if (peek(p) >= '0' && peek(p) <= '9')
			return fail(p, "leading zero in number");
	} else if (!digits(p)) {
		return unexpected(p, "digit");
	}
	if (peek(p) == '.') {
		p->pos++;
		if (!digits(p))
			return unexpected(p, "digit after '.'");
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!digits(p))
			return unexpected(p, "digit in exponent");
	}
	n = new_node(J_NUM);
	nodes[n].val = start;
	nodes[n].vlen = p->pos - start;
	return n;
}

static int hex4(struct parser *p, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		int c = peek(p), v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return unexpected(p, "hex digit in \\u escape");
		*out = *out << 4 | v;
		p->pos++;
	}
	return 0;
}

static void put_utf8(unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = 0xc0 | cp >> 6, b[1] = 0x80 | (cp & 0x3f), n = 2;
	} else if (cp < 0x10000) {
		b[0] = 0xe0 | cp >> 12, b[1] = 0x80 | (cp >> 6 & 0x3f);
		b[2] = 0x80 | (cp & 0x3f), n = 3;
	} else {
		b[0] = 0xf0 | cp >> 18, b[1] = 0x80 | (cp >> 12 & 0x3f);
		b[2] = 0x80 | (cp >> 6 & 0x3f), b[3] = 0x80 | (cp & 0x3f), n = 4;
	}
	text_add(b, n);
}

/* Length of the well-formed UTF-8 sequence at S (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t n;
	unsigned cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and beyond U+10FFFF are invalid. */
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* A string at the cursor, decoded onto text[]; its span in *OFF, *LEN. */
static int parse_string(struct parser *p, size_t *off, size_t *len)
{
	p->pos++;	/* the opening quote */
	*off = ntext;
	for (;;) {
		size_t run = p->pos, n;
		unsigned char c;

		/* Copy plain runs in one go; stop at the quote, a backslash or trouble. */
		while (p->pos < p->len) {
			c = p->s[p->pos];
			if (c == '"' || c == '\\' || c < 0x20)
				break;
			if (c < 0x80) {
				p->pos++;
				continue;
			}
			n = utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
			if (!n)
				return fail(p, "invalid UTF-8 in string");
			p->pos += n;
		}
		text_add(p->s + run, p->pos - run);
		if (p->pos >= p->len)
			return fail(p, "unterminated string");
		c = p->s[p->pos];
		if (c == '"') {
			p->pos++;
			*len = ntext - *off;
			return 0;
		}
		if (c < 0x20)
			return fail(p, "unescaped control character 0x%02x in string", c);
		p->pos++;	/* the backslash */
		if (p->pos >= p->len)
			return fail(p, "unterminated string");
		c = p->s[p->pos];
		static const char plain[] = "\"\\/bfnrt", decoded[] = "\"\\/\b\f\n\r\t";
		const char *esc = c ? strchr(plain, c) : NULL;
		if (esc) {
			text_add(&decoded[esc - plain], 1);
			p->pos++;
		} else if (c == 'u') {
			unsigned cp, lo;

			p->pos++;
			if (hex4(p, &cp))
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(p, "lone low surrogate \\u%04x", cp);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* UTF-16 pair: only their sum is a character. */
				if (p->pos + 1 >= p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
					return fail(p, "lone high surrogate \\u%04x", cp);
				p->pos += 2;
				if (hex4(p, &lo))
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(p, "high surrogate \\u%04x not followed by a low one", cp);
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			put_utf8(cp);
		} else {
			if (c > 0x20 && c < 0x7f)
				return fail(p, "bad escape \\%c", c);
			return fail(p, "bad escape");
		}
	}
}

static int parse_value(struct parser *p, int depth);

static int parse_container(struct parser *p, int depth, int obj)
{
	int n = new_node(obj ? J_OBJ : J_ARR), last = -1;
	const char close = obj ? '}' : ']';

	if (depth >= MAX_DEPTH)
		return fail(p, "nesting deeper than %d", MAX_DEPTH);
	p->pos++;
	skip_ws(p);
	if (peek(p) == close) {
		p->pos++;
		return n;
	}
	for (;;) {
		size_t key = 0, klen = 0;
		int child;

		skip_ws(p);
		if (obj) {
			if (peek(p) != '"')
				return peek(p) == '}' && last >= 0 ? fail(p, "trailing comma in object")
								   : unexpected(p, "member name");
			if (parse_string(p, &key, &klen))
				return -1;
			skip_ws(p);
			if (peek(p) != ':')
				return unexpected(p, "':'");
			p->pos++;
		} else if (peek(p) == ']' && last >= 0) {
			return fail(p, "trailing comma in array");
		}
		child = parse_value(p, depth + 1);
		if (child < 0)
			return -1;
		nodes[child].key = key;
		nodes[child].klen = klen;
		if (last < 0)
			nodes[n].first = child;
		else
			nodes[last].next = child;
		last = child;
		skip_ws(p);
		if (peek(p) == close) {
			p->pos++;
			return n;
		}
		if (peek(p) != ',')
			return unexpected(p, obj ? "',' or '}'" : "',' or ']'");
		p->pos++;
	}
}

static int literal(struct parser *p, const char *word, enum type type)
{
	size_t len = strlen(word);

	if (p->len - p->pos < len || memcmp(p->s + p->pos, word, len))
		return fail(p, "invalid literal, %s?", word);
	p->pos += len;
	return new_node(type);
}

static int parse_value(struct parser *p, int depth)
{
	int c;

	skip_ws(p);
	c = peek(p);
	switch (c) {
	case '{':
		return parse_container(p, depth, 1);
	case '[':
		return parse_container(p, depth, 0);
	case '"': {
		int n = new_node(J_STR);
		size_t off, len;

		if (parse_string(p, &off, &len))
			return -1;
		nodes[n].val = off;
		nodes[n].vlen = len;
		return n;
	}
	case 't':
		return literal(p, "true", J_TRUE);
	case 'f':
		return literal(p, "false", J_FALSE);
	case 'n':
		return literal(p, "null", J_NULL);
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(p);
		return unexpected(p, "value");
	}
}

/* One line as one object; the root node is 0. Returns 0 or -1 with p->err. */
static int parse_line(struct parser *p)
{
	nnodes = ntext = 0;
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "empty line");
	if (peek(p) != '{')
		return fail(p, "not a JSON object");
	if (parse_value(p, 0) < 0)
		return -1;
	skip_ws(p);
	if (p->pos < p->len)
		return fail(p, "trailing data after the object");
	return 0;
}

/* --- paths and printing -------------------------------------------------- */

struct path {
	char **comp;	/* dot-separated components; none for "." (the object) */
	int n;
};

static struct path parse_path(const char *arg)
{
	struct path path = {0};
	char *s = strdup(arg), *tok, *save;

	if (!s || (path.comp = calloc(strlen(arg) + 1, sizeof(char *))) == NULL) {
		fputs("jsonq: out of memory\n", stderr);
		exit(1);
	}
	if (!strcmp(arg, "."))
		return path;
	/* strsep, not strtok: "a..b" names an empty key, not "a.b". */
	for (save = s; (tok = strsep(&save, ".")) != NULL;)
		path.comp[path.n++] = tok;
	return path;
}

/* An array index, if the component is a plain decimal number. */
static int as_index(const char *c, long *idx)
{
	char *end;

	if (*c < '0' || *c > '9')
		return 0;
	errno = 0;
	*idx = strtol(c, &end, 10);
	return !*end && !errno;
}

/* The node at PATH, or -1. Of duplicate keys the last wins, as in jq. */
static int lookup(const struct path *path)
{
	int cur = 0;

	for (int i = 0; i < path->n && cur >= 0; i++) {
		const char *c = path->comp[i];
		size_t clen = strlen(c);
		int found = -1;
		long idx;

		if (nodes[cur].type == J_OBJ) {
			for (int m = nodes[cur].first; m >= 0; m = nodes[m].next)
				if (nodes[m].klen == clen && !memcmp(text + nodes[m].key, c, clen))
					found = m;
		} else if (nodes[cur].type == J_ARR && as_index(c, &idx)) {
			for (found = nodes[cur].first; found >= 0 && idx > 0; idx--)
				found = nodes[found].next;
		}
		cur = found;
	}
	return cur;
}

static void json_string(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void print_value(FILE *f, const char *line, int n, int top);

static void print_container(FILE *f, const char *line, int n)
{
	int obj = nodes[n].type == J_OBJ;

	fputc(obj ? '{' : '[', f);
	for (int c = nodes[n].first; c >= 0; c = nodes[c].next) {
		if (c != nodes[n].first)
			fputc(',', f);
		if (obj) {
			json_string(f, text + nodes[c].key, nodes[c].klen);
			fputc(':', f);
		}
		print_value(f, line, c, 0);
	}
	fputc(obj ? '}' : ']', f);
}

/* TOP: a value printed on its own (strings raw), not inside JSON. */
static void print_value(FILE *f, const char *line, int n, int top)
{
	static const char *const words[] = {"null", "false", "true"};

	if (n < 0) {
		fputs("missing", f);
		return;
	}
	switch (nodes[n].type) {
	case J_NULL:
	case J_FALSE:
	case J_TRUE:
		fputs(words[nodes[n].type], f);
		break;
	case J_NUM:
		/* An integer has no negative zero. */
		if (nodes[n].vlen == 2 && !memcmp(line + nodes[n].val, "-0", 2))
			fputc('0', f);
		else
			fwrite(line + nodes[n].val, 1, nodes[n].vlen, f);
		break;
	case J_STR:
		if (top)
			fwrite(text + nodes[n].val, 1, nodes[n].vlen, f);
		else
			json_string(f, text + nodes[n].val, nodes[n].vlen);
		break;
	case J_ARR:
	case J_OBJ:
		print_container(f, line, n);
		break;
	}
}

/* Whether node N prints as WANT; the common scalar cases without a buffer. */
static int value_is(const char *line, int n, const char *want)
{
	size_t wlen = strlen(want);
	char *buf = NULL;
	size_t blen = 0;
	FILE *f;
	int eq;

	if (n >= 0 && nodes[n].type == J_STR)
		return nodes[n].vlen == wlen && !memcmp(text + nodes[n].val, want, wlen);
	if (n >= 0 && nodes[n].type == J_NUM && nodes[n].vlen == wlen &&
	    !memcmp(line + nodes[n].val, want, wlen))
		return strcmp(want, "-0") != 0;
	f = open_memstream(&buf, &blen);
	if (!f) {
		fputs("jsonq: out of memory\n", stderr);
		exit(1);
	}
	print_value(f, line, n, 1);
	fclose(f);
	eq = blen == wlen && !memcmp(buf, want, wlen);
	free(buf);
	return eq;
}

/* --- main ---------------------------------------------------------------- */

struct filter {
	struct path path;
	const char *value;
};

#define USAGE "usage: jsonq [-S] [-w PATH=VALUE]... [-c] FILE [PATH...]\n" \
	      "       jsonq -v FILE\n"

/* Usage errors get one line, so they read like every other error. */
static void __attribute__((noreturn)) usage_error(const char *why)
{
	fprintf(stderr, "jsonq: %s; jsonq -h shows the usage\n", why);
	exit(2);
}

static int help(void)
{
	fputs(USAGE
	      "FILE holds one JSON object a line (- for stdin). Prints, for each object\n"
	      "matching every -w, the values at the PATHs separated by a tab (the whole\n"
	      "object if no PATH), or with -c just the number of matching objects.\n"
	      "PATH: dot-separated keys, integers index arrays; . is the object.\n"
	      "Values print as numbers exactly as written, strings unquoted, true, false,\n"
	      "null, containers as compact JSON, and missing where the path leads nowhere.\n"
	      "  -w PATH=VALUE  keep objects whose value at PATH prints as VALUE\n"
	      "  -c             count the matching objects\n"
	      "  -S             an invalid line is an error (default: skipped)\n"
	      "  -v             only check that every line is a valid JSON object\n",
	      stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct filter *filters = calloc(argc, sizeof(*filters));
	struct path *paths = calloc(argc, sizeof(*paths));
	int nfilters = 0, npaths = 0, count = 0, validate = 0, strict = 0, opt;
	unsigned long long matched = 0, lineno = 0;
	const char *file;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *in;

	if (!filters || !paths)
		return 1;
	/* '+': options end at FILE, so nothing after it is mistaken for one. */
	while ((opt = getopt(argc, argv, "+:w:cvSh")) != -1) {
		switch (opt) {
		case 'w': {
			char *eq = strchr(optarg, '=');

			if (!eq)
				usage_error("-w wants PATH=VALUE");
			*eq = 0;
			filters[nfilters].path = parse_path(optarg);
			filters[nfilters++].value = eq + 1;
			break;
		}
		case 'c':
			count = 1;
			break;
		case 'v':
			validate = strict = 1;
			break;
		case 'S':
			strict = 1;
			break;
		case 'h':
			return help();
		case ':':
			usage_error("-w wants PATH=VALUE");
		default: {
			char why[32];

			snprintf(why, sizeof(why), "unknown option -%c", optopt);
			usage_error(why);
		}
		}
	}
	if (optind >= argc)
		usage_error("no FILE");
	file = argv[optind++];
	for (; optind < argc; optind++)
		paths[npaths++] = parse_path(argv[optind]);
	if (count && npaths)
		usage_error("-c counts, it takes no PATH");
	if (validate && (count || nfilters || npaths))
		usage_error("-v takes only a FILE");
	if (!npaths && !count)
		paths[npaths++] = parse_path(".");

	in = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!in) {
		fprintf(stderr, "jsonq: %s: %s\n", file, strerror(errno));
		return 1;
	}
	while ((len = getline(&line, &cap, in)) >= 0) {
		struct parser p = {.s = line, .len = len};
		int keep = 1;

		lineno++;
		if (len && line[len - 1] == '\n')
			p.len--;
		if (parse_line(&p)) {
			if (!strict)
				continue;
			fprintf(stderr, "jsonq: line %llu: %s\n", lineno, p.err);
			return 1;
		}
		if (validate)
			continue;
		for (int i = 0; i < nfilters && keep; i++)
			keep = value_is(line, lookup(&filters[i].path), filters[i].value);
		if (!keep)
			continue;
		matched++;
		if (count)
			continue;
		for (int i = 0; i < npaths; i++) {
			if (i)
				putchar('\t');
			print_value(stdout, line, lookup(&paths[i]), 1);
		}
		putchar('\n');
	}
	if (ferror(in)) {
		fprintf(stderr, "jsonq: %s: %s\n", file, strerror(errno));
		return 1;
	}
	if (count)
		printf("%llu\n", matched);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "jsonq: write: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
