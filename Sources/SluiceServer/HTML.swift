/// Building the dashboard's HTML: every text that comes from the repo, the store or a request
/// goes through `escape`, so no name or detail can become markup.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A colour for a version, the same on every page: versions side by side read apart.
    static func hue(_ version: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in version.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int(hash % 360)
    }

    /// A whole page: the header, its navigation and sign-in, `main`, the script.
    static func page(title: String, main: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · Sluice</title>
        <style>\(style)</style></head>
        <body>
        <header><h1><a href="/">Sluice</a></h1><nav><a href="/">Pipelines</a><a href="/history">History</a></nav>
        <form id="signin" onsubmit="return signIn(event)"><span id="who">not signed in</span>
        <input id="token" type="password" placeholder="API token" autocomplete="off"><button>Sign in</button>
        <button type="button" onclick="signOut()">Sign out</button></form></header>
        <main id="main">
        \(main)
        </main>
        <script>\(script)</script>
        </body></html>
        """
    }

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
        header{display:flex;gap:24px;align-items:center;padding:8px 20px;background:#1d2330;color:#fff}
        header a{color:#fff;text-decoration:none;margin-right:14px} header h1{font-size:18px;margin:0}
        #signin{margin-left:auto;display:flex;gap:6px;align-items:center} #signin input{width:160px}
        main{padding:12px 20px} section.env{background:#fff;border:1px solid #d8dce3;border-radius:6px;padding:10px 16px;margin-bottom:16px}
        .phase{font-size:12px;padding:2px 8px;border-radius:10px;background:#e3e7ee;margin-left:8px}
        .phase-running{background:#cfe3ff}.phase-done{background:#d5f2d9}.phase-halted{background:#ffd3d0}
        .phase-awaitingApproval,.phase-paused{background:#fff0c2}
        .halt{color:#a40e05;font-weight:600} .waiting{color:#6a4b00}
        td.live-absent,td.live-unknown{color:#a40e05;font-weight:600} td.live-progressing{color:#6a4b00}
        ol.pipeline{display:flex;gap:8px;list-style:none;padding:0;flex-wrap:wrap}
        ol.pipeline>li{border:1px solid #d8dce3;border-radius:6px;padding:6px 10px;min-width:150px;background:#fafbfc}
        ol.pipeline>li.current{border:2px solid #2b6cd4} ol.pipeline>li.done{background:#eef9ef}
        ol.batches{padding-left:18px;margin:4px 0} li.batch-current{font-weight:600}
        .muted{color:#6b7280;font-size:12px}
        table{border-collapse:collapse;margin:8px 0} th,td{border:1px solid #e1e4ea;padding:3px 6px;font-size:12px;white-space:nowrap}
        th{background:#f0f2f5;text-align:left} tr.stage-row th{background:#e6eaf2}
        td.rolling{outline:2px dashed #2b6cd4} td.failed{background:#ffb4ae!important;font-weight:600} td.pending{outline:2px dotted #a66300}
        .actions button{display:none;margin-right:6px}
        body.role-operator .actions button.operator,body.role-approver .actions button.operator,body.role-approver .actions button.approver{display:inline-block}
        """

    /// Refreshes `main` every 5 s in place (no reload: the sign-in stays); signs in with a
    /// token kept in this browser; asks before every action.
    static let script = """
        const tokenKey='sluiceToken';
        function token(){return localStorage.getItem(tokenKey)||''}
        async function who(){
          const t=token(); document.body.className='';
          if(!t){document.getElementById('who').textContent='not signed in';return}
          const r=await fetch('/api/v1/whoami',{headers:{Authorization:'Bearer '+t}});
          if(!r.ok){document.getElementById('who').textContent='token refused';return}
          const w=await r.json(); document.getElementById('who').textContent=w.name+' ('+w.role+')';
          document.body.className='role-'+w.role;
        }
        function signIn(e){e.preventDefault();localStorage.setItem(tokenKey,document.getElementById('token').value);document.getElementById('token').value='';who();return false}
        function signOut(){localStorage.removeItem(tokenKey);who()}
        async function act(button){
          const env=button.dataset.env, action=button.dataset.action, commit=button.dataset.commit;
          if(!confirm(action+' '+env+(commit?' (commit '+commit.slice(0,12)+')':'')+'?'))return;
          const body=commit&&action==='approve'?{commit:commit}:{};
          const r=await fetch('/api/v1/environments/'+encodeURIComponent(env)+'/'+action,{method:'POST',headers:{Authorization:'Bearer '+token(),'Content-Type':'application/json'},body:JSON.stringify(body)});
          const a=await r.json(); alert(r.ok?action+' accepted':(a.error?a.error.message:'refused')); refresh();
        }
        async function refresh(){
          try{const r=await fetch(location.href,{headers:{Accept:'text/html'}});if(!r.ok)return;
            const doc=new DOMParser().parseFromString(await r.text(),'text/html');
            const next=doc.getElementById('main'); if(next)document.getElementById('main').innerHTML=next.innerHTML;}catch(e){}
        }
        who(); setInterval(refresh,5000);
        """
}
