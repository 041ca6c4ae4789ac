"""Download a filtered task view as CSV or Excel (for people) or JSON Lines (for machines).

`/tasks/export.csv`, `/tasks/export.xlsx` and `/tasks/export.jsonl` take the same query
parameters as `/tasks/` and stream every task the view matches, all pages, in the
list's order. `views` answers the URLs, `stream` fetches and orders the pages, `formats`
writes the files, `slots` decides whether an export may start.

How it behaves:

- `page` and `per_page` in the URL are ignored: pages are fetched at the API's maximum
  (100). Other invalid parameters answer 400 in plain text, without calling the API.
- At most `ACTIVITIES_EXPORT_SLOTS` exports run at once in a process, at most
  `ACTIVITIES_EXPORT_HOST_SLOTS` on the host (files locked with `flock`, see `slots`),
  and one per user on the host; another answers 429 in plain text with a sentence and
  `Retry-After`. Formatting pauses after each page so that an export uses at most
  `ACTIVITIES_EXPORT_CPU_SHARE` of a core (`stream.Pacer`). Exports call the
  API through their own client ("export"), so their failures cannot open the circuit
  breaker that the pages use.
- Page 1 is fetched before the response starts, so a first-page failure answers like the
  task list does: the `ApiError`'s `http_status` with its sentence, in plain text. Once
  the download has started its status is 200 and cannot change, so a later failure ends
  the file with a marker (CSV and Excel: a row whose first cell starts with
  `# EXPORT INCOMPLETE:`; JSON Lines: `{"export_incomplete": true, "error": "<the
  ApiError's sentence>", "rows_written": N}`; the markers and keys stay in English for
  programs that look for them, the sentences are in the page's language) and is logged
  on `activities.export`. A download is therefore never silently short.
- Pages 2… are fetched by a thread pool at most `ACTIVITIES_EXPORT_CONCURRENCY`
  (default 8) pages ahead of the one being written, and written in page order. Memory
  holds at most that many pages plus one, however long the list. Closing the download
  (the client went away) cancels the pages not yet requested.
- At most `ACTIVITIES_EXPORT_MAX_ROWS` (default 50,000) tasks are written; when the view
  matches more, the file ends with a note saying so (CSV and Excel: a
  `# EXPORT TRUNCATED:` row; JSON Lines: an `{"export_truncated": true, "message": ...,
  "rows_written": N, "total": T}` line).
- The API pages by offset, so a task created or rescheduled while an export runs can
  shift between pages and appear twice or not at all, as when paging on screen.

CSV: UTF-8 with a BOM so that Excel reads accents right, comma-separated (`?sep=semicolon`
for a Spanish Excel), a header row in the page's language (English or Spanish), times as
`YYYY-MM-DD HH:MM` in the viewer's time zone, named in the time columns' headers, codes
(status, channel, result) as the API sends them, null as an empty cell. A text cell from
the API whose first visible character starts a formula (`=`, `+`, `-`, `@`, `|` or their
full-width forms, also after spaces, line breaks or invisible characters) gets a leading
`'`, as does one starting with a tab or carriage return, so a spreadsheet shows it as
text instead of running it (CSV injection); a plain number such as `-42` is left alone.

Excel: the same columns with typed cells (times as Excel dates in the viewer's time zone),
a frozen header row, an autofilter and column widths; text is never a formula there. It
is zipped and sent page by page as it is written (`xlsx`), like the CSV.

JSON Lines: one object per task, built from the `Task` record rather than the API's raw
JSON, so its shape does not depend on what the API adds or renames. The keys are the
record's field names (snake_case), listed in `formats.task_record`; timestamps are ISO
8601 UTC strings with milliseconds (`2026-04-15T13:00:00.000Z`), nested objects (reason,
user status, assignment, details with route and operator, result) are objects or null,
and a missing value is null; values that look like formulas are kept unchanged.
"""
