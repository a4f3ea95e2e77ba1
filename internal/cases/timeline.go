package cases

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/google/uuid"

	"kycdesk/internal/db"
	"kycdesk/web"
)

// The case page's timeline is bounded by the events that are not image views: it lists the latest
// MaxTimelineEvents of them and every image view since the oldest of those, folded into runs, so
// that views (every look at an image is audited) can never push a decision or a note off the page.
// A run names at most MaxTimelineViews views one by one, newest first; its count is always exact.
const (
	MaxTimelineEvents = 200
	MaxTimelineViews  = 1000
)

// Timeline reads a case's timeline as the case page shows it: every audited event, newest first,
// with each run of consecutive image views by one person folded into one line.
func Timeline(ctx context.Context, q *db.Queries, caseID uuid.UUID, maxEvents, maxViews int) (web.TimelineView, error) {
	events, err := q.ListCaseTimelineEvents(ctx, db.ListCaseTimelineEventsParams{CaseID: &caseID, MaxRows: int32(maxEvents + 1)})
	if err != nil {
		return web.TimelineView{}, err
	}
	var tv web.TimelineView
	// after bounds the views: those older than the oldest event listed are as far back as the
	// events left off, and are left off with them.
	var after int64
	if len(events) > maxEvents {
		events, tv.Truncated, tv.Limit = events[:maxEvents], true, maxEvents
		after = events[len(events)-1].AuditEvent.ID
	}
	runs, err := q.ListCaseViewRuns(ctx, db.ListCaseViewRunsParams{CaseID: &caseID, AfterID: after})
	if err != nil {
		return tv, err
	}
	views, err := q.ListCaseImageViews(ctx, db.ListCaseImageViewsParams{CaseID: &caseID, AfterID: after, MaxRows: int32(maxViews)})
	if err != nil {
		return tv, err
	}
	tv.Items = foldTimeline(events, runs, views)
	return tv, nil
}

// foldTimeline merges the events, the runs of views and the views themselves (each newest first)
// into the timeline's lines, newest first. A run of one view whose row was read is an ordinary
// line; a longer run is one line holding the views that were read (the newest maxViews of all).
func foldTimeline(events []db.ListCaseTimelineEventsRow, runs []db.ListCaseViewRunsRow, views []db.ListCaseImageViewsRow) []web.TimelineItem {
	items := make([]web.TimelineItem, 0, len(events)+len(runs))
	v := 0 // the next view, in views
	for len(events) > 0 || len(runs) > 0 {
		if len(runs) == 0 || (len(events) > 0 && events[0].AuditEvent.ID > runs[0].LastID) {
			e := events[0]
			items = append(items, web.TimelineItem{AuditRow: TimelineRow(e.AuditEvent, e.ActorName, e.AssigneeName, e.PreviousAssigneeName)})
			events = events[1:]
			continue
		}
		r := runs[0]
		runs = runs[1:]
		for v < len(views) && views[v].AuditEvent.ID > r.LastID {
			v++ // not in any run: cannot happen while runs and views come from one snapshot
		}
		var listed []web.AuditRow
		for v < len(views) && views[v].AuditEvent.ID >= r.FirstID {
			w := views[v]
			listed = append(listed, row(viewOf(w.AuditEvent, w.DocumentType, w.DocumentCountry, w.DocumentNumber), w.ActorName))
			v++
		}
		if r.Views == 1 && len(listed) == 1 {
			items = append(items, web.TimelineItem{AuditRow: listed[0], View: true})
			continue
		}
		items = append(items, web.TimelineItem{
			AuditRow: named(web.AuditRow{At: r.LastAt, Actor: r.ActorLabel, Action: "image.view"}, r.ActorName),
			View:     true,
			Run: &web.ViewRun{Count: int(r.Views), Images: int(r.Images), First: r.FirstAt, Last: r.LastAt,
				Views: listed},
		})
	}
	return items
}

// TimelineRow is one audit event as the timeline says it: its actor by name (actorName; the system
// and API tokens by their label), the audit log's label kept in ActorLabel for the tooltip, and an
// assignment's assignee and previous holder by name (assigneeName, previousName, for rows recorded
// before the row kept them). The case report's audit trail says its events with it, so that both
// name people alike.
func TimelineRow(e db.AuditEvent, actorName, assigneeName, previousName string) web.AuditRow {
	return row(assigneeNamed(e, assigneeName, previousName), actorName)
}

// assigneeNamed gives an assignment recorded before its row kept the names of its assignee (it has
// their email) and of the previous holder (it has their id) the names the timeline read for them,
// so that Describe names them as it names actors.
func assigneeNamed(e db.AuditEvent, name, previous string) db.AuditEvent {
	if e.Action != "case.assign" {
		return e
	}
	e.After = withName(e.After, name)
	e.Before = withName(e.Before, previous)
	return e
}

// viewOf gives an image view the document its image belongs to, in words ("passport GBR
// P1234567"), for Describe to say which document was looked at; a view of no document's image
// stays as it is.
func viewOf(e db.AuditEvent, docType, country, number string) db.AuditEvent {
	if e.Action != "image.view" || docType == "" {
		return e
	}
	var after map[string]any
	if json.Unmarshal(e.After, &after) != nil || after == nil {
		return e
	}
	after["document"] = strings.Join(strings.Fields(documentWords(docType)+" "+country+" "+number), " ")
	if b, err := json.Marshal(after); err == nil {
		e.After = b
	}
	return e
}

// documentTypeWords are the document types as a sentence says them: customers.DocumentTypes'
// labels, lower-cased where a sentence would (that package builds on this one, so cannot be
// asked).
var documentTypeWords = map[string]string{"passport": "passport", "national_id": "national ID", "driving_licence": "driving licence",
	"residence_permit": "residence permit", "other": "document"}

func documentWords(t string) string {
	if w, ok := documentTypeWords[t]; ok {
		return w
	}
	return strings.ReplaceAll(t, "_", " ")
}

// withName is an audit row's before or after with assignee_name set to name, unless it has one.
func withName(raw []byte, name string) []byte {
	var m map[string]any
	if name == "" || json.Unmarshal(raw, &m) != nil || m == nil {
		return raw
	}
	if s, _ := m["assignee_name"].(string); s != "" {
		return raw
	}
	m["assignee_name"] = name
	if b, err := json.Marshal(m); err == nil {
		return b
	}
	return raw
}

func row(e db.AuditEvent, actorName string) web.AuditRow {
	return named(web.AuditRow{At: e.At, Actor: e.ActorLabel, Action: e.Action, Subject: Describe(e), Link: Reference(e)}, actorName)
}

// named shows a person by name, as every other page does, and keeps the audit log's label of them
// (their email when the event was recorded) for the tooltip. The system and API tokens have no
// name: their label is what says who they are.
func named(r web.AuditRow, actorName string) web.AuditRow {
	if actorName != "" && actorName != r.Actor {
		r.ActorLabel, r.Actor = r.Actor, actorName
	}
	return r
}
