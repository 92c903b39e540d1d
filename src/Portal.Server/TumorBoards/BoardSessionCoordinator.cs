using System.Collections.Concurrent;
using Precision.Portal.Client.TumorBoards;

namespace Precision.Portal.Server.TumorBoards;

/// <summary>
/// Live tumor board sessions in this process: per meeting, the current case, tab, selected therapy, presenter and who
/// is connected. Every Blazor circuit of this portal instance shares it (singleton); each change produces a new
/// immutable <see cref="BoardSessionState"/> that is pushed to every joined browser. Several portal instances would
/// need a backplane (e.g. Redis pub/sub or a SignalR backplane) to share sessions: not in scope, see ARCHITECTURE.md.
/// </summary>
public sealed class BoardSessionCoordinator(TimeProvider time, ILogger<BoardSessionCoordinator> logger)
{
    private readonly ConcurrentDictionary<Guid, MeetingSession> _sessions = new();

    /// <summary>Current state of a meeting's session, or null when nobody has joined since the portal started.</summary>
    public BoardSessionState? StateOf(Guid meetingId) => _sessions.TryGetValue(meetingId, out var s) ? s.Snapshot : null;

    /// <summary>
    /// Adds one browser of <paramref name="member"/> to the meeting's session. The caller has checked membership.
    /// The chair is the presenter until they hand over; a late joiner gets the current state at once.
    /// </summary>
    public IBoardSessionHandle Join(TumorBoardMeeting meeting, BoardMember member, Func<BoardSessionState, Task> onChange)
    {
        ArgumentNullException.ThrowIfNull(meeting);
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(onChange);
        var session = _sessions.GetOrAdd(meeting.Id, _ => new MeetingSession(this, meeting));
        return session.Join(member, onChange);
    }

    private DateTimeOffset Now => time.GetUtcNow();

    private sealed class MeetingSession
    {
        private readonly BoardSessionCoordinator _owner;
        private readonly Guid _meetingId;
        private readonly string _chairUserName;
        private readonly Lock _lock = new();
        private readonly List<Handle> _handles = [];
        private Guid? _currentCase;
        private string _tab = BoardTabs.Summary;
        private string? _therapy;
        private string _presenter;
        private string _presenterName;
        private long _revision;
        private long _contentRevision;

        public MeetingSession(BoardSessionCoordinator owner, TumorBoardMeeting meeting)
        {
            _owner = owner;
            _meetingId = meeting.Id;
            _chairUserName = meeting.ChairUserName;
            _presenter = meeting.ChairUserName;
            _presenterName = meeting.ChairDisplayName;
            _currentCase = meeting.Cases.Count > 0 ? meeting.Cases[0].Id : null;
            Snapshot = Build();
        }

        public BoardSessionState Snapshot { get; private set; }

        public IBoardSessionHandle Join(BoardMember member, Func<BoardSessionState, Task> onChange)
        {
            var handle = new Handle(this, member, onChange, _owner.Now);
            Publish(() => _handles.Add(handle));
            return handle;
        }

        /// <summary>Applies a change under the lock, then tells every browser outside it.</summary>
        private void Publish(Action change)
        {
            BoardSessionState state;
            Handle[] targets;
            lock (_lock)
            {
                change();
                _revision++;
                state = Snapshot = Build();
                targets = [.. _handles];
            }

            foreach (var target in targets)
            {
                target.Notify(state);
            }
        }

        private BoardSessionState Build()
        {
            var participants = _handles
                .Where(h => h.Connected)
                .GroupBy(h => h.Member.UserName, StringComparer.OrdinalIgnoreCase)
                .Select(g => new BoardParticipant(g.First().Member.UserName, g.First().Member.DisplayName, g.Count(), g.Min(h => h.JoinedUtc)))
                .OrderBy(p => p.JoinedUtc)
                .ToList();
            return new BoardSessionState(_meetingId, _revision, _contentRevision, _currentCase, _tab, _therapy, _presenter, _presenterName, participants, _owner.Now);
        }

        private string? Drive(Handle handle, Action change)
        {
            lock (_lock)
            {
                if (!handle.Joined)
                {
                    return "You have left this session; reload the page to join again.";
                }

                if (!string.Equals(_presenter, handle.Member.UserName, StringComparison.OrdinalIgnoreCase))
                {
                    return $"Only the presenter ({_presenterName}) drives the session.";
                }
            }

            Publish(change);
            return null;
        }

        private sealed class Handle(MeetingSession session, BoardMember member, Func<BoardSessionState, Task> onChange, DateTimeOffset joinedUtc) : IBoardSessionHandle
        {
            // Delivery to this browser: one at a time, in revision order, the latest state winning when several wait.
            private readonly Lock _delivery = new();
            private long _notified = -1;
            private BoardSessionState? _pending;
            private bool _delivering;

            public BoardMember Member { get; } = member;

            public DateTimeOffset JoinedUtc { get; } = joinedUtc;

            public bool Connected { get; private set; } = true;

            public bool Joined { get; private set; } = true;

            public BoardSessionState State => session.Snapshot;

            public string? ShowCase(Guid caseId) => session.Drive(this, () =>
            {
                if (session._currentCase != caseId)
                {
                    session._currentCase = caseId;
                    session._therapy = null;
                }
            });

            public string? ShowTab(string tab) =>
                BoardTabs.All.Contains(tab) ? session.Drive(this, () => session._tab = tab) : $"There is no tab \"{tab}\".";

            public string? SelectTherapy(string? therapyId) => session.Drive(this, () => session._therapy = therapyId);

            public string? HandOver(string userName)
            {
                Handle? target;
                lock (session._lock)
                {
                    target = session._handles.FirstOrDefault(h => h.Connected && string.Equals(h.Member.UserName, userName, StringComparison.OrdinalIgnoreCase));
                }

                if (target is null)
                {
                    return $"{userName} is not in the session; only someone who is here can present.";
                }

                return session.Drive(this, () =>
                {
                    session._presenter = target.Member.UserName;
                    session._presenterName = target.Member.DisplayName;
                });
            }

            public string? TakeOver()
            {
                if (!string.Equals(Member.UserName, session._chairUserName, StringComparison.OrdinalIgnoreCase))
                {
                    return "Only the chair can take the presenter role back.";
                }

                session.Publish(() =>
                {
                    session._presenter = Member.UserName;
                    session._presenterName = Member.DisplayName;
                });
                return null;
            }

            public void AnnounceChange()
            {
                if (Joined)
                {
                    session.Publish(() => session._contentRevision++);
                }
            }

            public void SetConnected(bool connected)
            {
                if (Joined && Connected != connected)
                {
                    session.Publish(() => Connected = connected);
                }
            }

            public void Notify(BoardSessionState state)
            {
                if (!Joined)
                {
                    return;
                }

                // States are published from several threads: accepting them in revision order is not enough, two accepted
                // states could still reach the browser in the other order. One delivery loop per browser sends them in order.
                lock (_delivery)
                {
                    if (state.Revision <= _notified)
                    {
                        return;
                    }

                    _notified = state.Revision;
                    _pending = state;
                    if (_delivering)
                    {
                        return;
                    }

                    _delivering = true;
                }

                _ = DeliverAsync();
            }

            private async Task DeliverAsync()
            {
                while (true)
                {
                    BoardSessionState next;
                    lock (_delivery)
                    {
                        if (_pending is null)
                        {
                            _delivering = false;
                            return;
                        }

                        next = _pending;
                        _pending = null;
                    }

                    try
                    {
                        await onChange(next).ConfigureAwait(false);
                    }
#pragma warning disable CA1031 // one browser's failure must not stop the others
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        session._owner.LogNotifyFailed(ex, session._meetingId);
                    }
                }
            }

            public void Dispose()
            {
                if (!Joined)
                {
                    return;
                }

                session.Publish(() =>
                {
                    Joined = false;
                    Connected = false;
                    session._handles.Remove(this);
                });
            }
        }
    }

    private void LogNotifyFailed(Exception ex, Guid meetingId) =>
        logger.LogWarning(ex, "A tumor board session update could not be delivered to one browser of meeting {MeetingId}", meetingId);
}
