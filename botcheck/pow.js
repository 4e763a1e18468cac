// latch botcheck proof-of-work solver. Source: github.com/latchauth/latch/botcheck
(()=>{"use strict";
const E=new TextEncoder(),B=512,
ok=(h,d)=>{for(let i=0;d>0;i++,d-=8){if(d<8)return!(h[i]>>8-d);if(h[i])return!1}return!0},
solve=async el=>{
const c=el.dataset.latchPow||"",d=+c.split(".")[2],f=el.form,s=v=>f&&(f.dataset.latchPowState=v);
if(!(d>0))return;
s("solving");
try{for(let n=0;;n+=B){
const r=await Promise.all(Array.from({length:B},(_,k)=>crypto.subtle.digest("SHA-256",E.encode(c+":"+(n+k)))));
const k=r.findIndex(h=>ok(new Uint8Array(h),d));
if(k>=0){
el.value=c+"."+(n+k);s("solved");
f&&f.querySelectorAll("[type=submit],button:not([type])").forEach(b=>b.disabled=!1);
el.dispatchEvent(new Event("latch-pow-solved",{bubbles:!0}));return}
await new Promise(r=>setTimeout(r))}}catch(e){s("error")}},
go=()=>document.querySelectorAll("input[data-latch-pow]").forEach(solve);
document.readyState=="loading"?document.addEventListener("DOMContentLoaded",go):go()})();
