* Generic 1 um-class level-1 CMOS models shared by the golden cases (.include target).
* Junction capacitances from area/perimeter (CJ MJ CJSW MJSW PB) and JS.
.model nch nmos (level=1 vto=0.7 kp=110u gamma=0.45 phi=0.7 lambda=0.03 ld=0.08u tox=20n
+ cgso=0.25n cgdo=0.25n cgbo=0.2n cj=0.35m mj=0.5 cjsw=0.3n mjsw=0.33 pb=0.85 js=1e-6)
.model pch pmos (level=1 vto=-0.8 kp=40u gamma=0.5 phi=0.7 lambda=0.05 ld=0.08u tox=20n
+ cgso=0.3n cgdo=0.3n cgbo=0.2n cj=0.5m mj=0.45 cjsw=0.35n mjsw=0.3 pb=0.85 js=1e-6)
