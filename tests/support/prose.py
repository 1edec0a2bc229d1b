"""Genuine prose for the language identifier's and the text-quality checks' tests: one
support exchange (a bakery in Lyon charged twice for its flour) written in several
languages and scripts, English answers with figures, a Markdown table, a list and code,
and short excerpts of public-domain novels (Project Gutenberg). None of it is filler: each
text says something, so a check that rejects it is wrong."""

from __future__ import annotations

# (the user's question, the assistant's answer) in each language.
EXCHANGES: dict[str, tuple[str, str]] = {
    "en": (
        "Hello, I run a small bakery in Lyon and I think our flour supplier charged us twice "
        "in March. Could you check the statement and tell me what we can do about it?",
        "Thanks for sending the statement. I can see that the March invoice from your flour "
        "supplier was debited twice, on the 4th and again on the 6th, for 1,240.50 euros each "
        "time. Because this was a SEPA direct debit, you have eight weeks from the debit date "
        "to ask for a refund without giving a reason, so you are well within the window. I "
        "will open the refund request for the second debit today, and the money should be "
        "back in your account within ten working days.",
    ),
    "fr": (
        "Bonjour, je tiens une petite boulangerie à Lyon et je crois que notre fournisseur de "
        "farine nous a prélevé deux fois en mars. Pouvez-vous vérifier le relevé et me dire "
        "ce que nous pouvons faire ?",
        "Merci pour le relevé. Je vois que la facture de mars de votre fournisseur de farine "
        "a été prélevée deux fois, le 4 puis le 6, pour 1 240,50 euros à chaque fois. Comme "
        "il s'agit d'un prélèvement SEPA, vous disposez de huit semaines à compter de la "
        "date du débit pour demander un remboursement sans avoir à vous justifier. J'ouvre "
        "donc la demande pour le second prélèvement dès aujourd'hui, et la somme devrait "
        "revenir sur votre compte sous dix jours ouvrés.",
    ),
    "de": (
        "Guten Tag, ich führe eine kleine Bäckerei in Lyon und glaube, dass unser "
        "Mehllieferant im März zweimal abgebucht hat. Könnten Sie den Kontoauszug prüfen und "
        "mir sagen, was wir tun können?",
        "Vielen Dank für den Kontoauszug. Ich sehe, dass die Märzrechnung Ihres "
        "Mehllieferanten zweimal abgebucht wurde, am 4. und noch einmal am 6., jeweils über "
        "1.240,50 Euro. Da es sich um eine SEPA-Lastschrift handelt, können Sie innerhalb von "
        "acht Wochen nach der Belastung ohne Angabe von Gründen eine Erstattung verlangen. "
        "Ich stelle den Antrag für die zweite Abbuchung noch heute, und das Geld sollte "
        "innerhalb von zehn Werktagen wieder auf Ihrem Konto sein.",
    ),
    "es": (
        "Hola, tengo una pequeña panadería en Lyon y creo que nuestro proveedor de harina nos "
        "cobró dos veces en marzo. ¿Podría revisar el extracto y decirme qué podemos hacer?",
        "Gracias por enviar el extracto. Veo que la factura de marzo de su proveedor de harina "
        "se cargó dos veces, el día 4 y de nuevo el día 6, por 1.240,50 euros cada vez. Como "
        "se trata de un adeudo directo SEPA, tiene ocho semanas desde la fecha del cargo para "
        "pedir la devolución sin dar ninguna explicación. Hoy mismo abriré la solicitud para "
        "el segundo cargo, y el dinero debería volver a su cuenta en un plazo de diez días "
        "hábiles.",
    ),
    "el": (
        "Καλησπέρα, έχω ένα μικρό αρτοποιείο στη Λυών και νομίζω ότι ο προμηθευτής αλεύρου "
        "μας χρέωσε δύο φορές τον Μάρτιο. Μπορείτε να ελέγξετε την κατάσταση λογαριασμού και "
        "να μου πείτε τι μπορούμε να κάνουμε;",
        "Σας ευχαριστώ για την κατάσταση λογαριασμού. Βλέπω ότι το τιμολόγιο του Μαρτίου από "
        "τον προμηθευτή σας χρεώθηκε δύο φορές, στις 4 και ξανά στις 6 του μήνα, με 1.240,50 "
        "ευρώ κάθε φορά. Επειδή πρόκειται για άμεση χρέωση SEPA, έχετε οκτώ εβδομάδες από "
        "την ημερομηνία της χρέωσης για να ζητήσετε επιστροφή χωρίς να δώσετε εξηγήσεις. Θα "
        "ανοίξω σήμερα το αίτημα για τη δεύτερη χρέωση και τα χρήματα θα επιστρέψουν στον "
        "λογαριασμό σας μέσα σε δέκα εργάσιμες ημέρες.",
    ),
    "ar": (
        "مرحبًا، أدير مخبزًا صغيرًا في ليون وأعتقد أن مورد الدقيق خصم منا المبلغ مرتين في "
        "شهر مارس. هل يمكنك مراجعة كشف الحساب وإخباري بما يمكننا فعله؟",
        "شكرًا لإرسال كشف الحساب. أرى أن فاتورة شهر مارس من مورد الدقيق قد خُصمت مرتين، في "
        "اليوم الرابع ثم في اليوم السادس، بمبلغ 1240 يورو في كل مرة. وبما أن هذا خصم مباشر، "
        "فلديك ثمانية أسابيع من تاريخ الخصم لطلب استرداد المبلغ دون الحاجة إلى تقديم أي "
        "سبب. سأفتح طلب الاسترداد للخصم الثاني اليوم، ومن المتوقع أن يعود المبلغ إلى حسابك "
        "خلال عشرة أيام عمل.",
    ),
    "ja": (
        "こんにちは。リヨンで小さなパン屋を営んでいますが、三月に小麦粉の仕入れ先から二回"
        "引き落とされたようです。明細を確認して、どうすればよいか教えていただけますか。",
        "明細書をお送りいただきありがとうございます。三月分の小麦粉の請求書が、四日と六日の"
        "二回にわたってそれぞれ1,240.50ユーロ引き落とされていることを確認しました。SEPAの"
        "口座振替ですので、引き落とし日から八週間以内であれば、理由を述べずに返金を請求する"
        "ことができます。本日中に二回目の引き落としについて返金の手続きを始めますので、十"
        "営業日以内にお客様の口座へ戻る見込みです。",
    ),
    "zh": (
        "您好，我在里昂经营一家小面包店，我觉得面粉供应商在三月份扣了我们两次款。您能帮我"
        "核对一下对账单，并告诉我们可以怎么处理吗？",
        "感谢您发送对账单。我看到您的面粉供应商三月份的发票被扣款了两次，分别在四号和六号，"
        "每次一千二百四十点五欧元。由于这是SEPA直接扣款，您可以在扣款日起八周内申请退款，"
        "而且不需要说明任何理由。我今天就会为第二笔扣款提交退款申请，这笔钱预计会在十个"
        "工作日内退回到您的账户。",
    ),
}

# Everyday exchanges (opening hours, a parcel, a train delay, a bill, ...) in the scenario
# catalog's other languages, so that every language the catalog draws has genuine prose.
CATALOG_EXCHANGES: dict[str, tuple[str, str]] = {
    "am": (
        "ቅርንጫፋችሁ በየትኞቹ ሰዓታት ክፍት ነው?",
        "ቅርንጫፋችን ከሰኞ እስከ ዓርብ ከጠዋቱ 2:30 እስከ ቀኑ 11:00 ሰዓት ክፍት ነው። ቅዳሜ ግማሽ ቀን ብቻ እንሠራለን፤ እሑድ እና "
        "በሕዝባዊ በዓላት ቀናት ግን ቅርንጫፉ ዝግ ነው። አዲስ የቁጠባ ሂሳብ ለመክፈት ከፈለጉ የታደሰ መታወቂያ ካርድዎን እና አንድ ጉርድ "
        "ፎቶግራፍ ይዘው ይምጡ። ተጨማሪ ጥያቄ ካለዎት በደንበኞች አገልግሎት ስልካችን ሊያገኙን ይችላሉ።",
    ),
    "bn": (
        "আমি কীভাবে আমার পার্সেলটি ফেরত দিতে পারি?",
        "আপনার পার্সেলটি ফেরত পাঠাতে চাইলে পণ্য হাতে পাওয়ার সাত দিনের মধ্যে আমাদের জানাতে "
        "হবে। পণ্যটি অবশ্যই অব্যবহৃত অবস্থায় এবং আসল মোড়কের ভেতরে থাকতে হবে। আমাদের "
        "প্রতিনিধি আপনার ঠিকানা থেকে পার্সেলটি সংগ্রহ করে নেবেন, এর জন্য আপনাকে কোনো অতিরিক্ত "
        "খরচ দিতে হবে না। পণ্যটি আমাদের গুদামে পৌঁছানোর পর পাঁচ থেকে সাত কার্যদিবসের মধ্যে "
        "টাকা আপনার অ্যাকাউন্টে ফেরত দেওয়া হবে।",
    ),
    "cs": (
        "Proč má můj vlak zpoždění a co mám dělat?",
        "Omlouváme se za komplikace. Rychlík z Prahy do Brna má kvůli poruše trakčního vedení "
        "u Kolína zpoždění přibližně 40 minut. Pokud jste kvůli tomu nestihli přestup, vaše "
        "jízdenka zůstává platná i pro nejbližší další spoj ve stejném směru. Při zpoždění "
        "delším než šedesát minut máte nárok na částečné odškodnění, o které můžete požádat "
        "na kterékoli pokladně nebo prostřednictvím formuláře na našich stránkách.",
    ),
    "da": (
        "Hvordan fornyer jeg mit lånerkort?",
        "Dit lånerkort kan fornyes ved skranken på alle kommunens biblioteker eller på vores "
        "hjemmeside. Husk at medbringe dit sundhedskort, så vi kan bekræfte din adresse. "
        "Selve fornyelsen er gratis, men hvis du har mistet kortet, koster et nyt 30 kroner. "
        "Har du stadig bøger, der er over afleveringsfristen, eller ubetalte gebyrer, skal de "
        "være afleveret eller betalt, før kortet kan forlænges.",
    ),
    "et": (
        "Millal saaksin perearsti juurde aja?",
        "Perearsti vastuvõtule saate registreeruda telefoni teel või meie veebilehel. Lähim "
        "vaba aeg doktor Tamme juures on neljapäeval kell 10.15. Palun tulge kohale umbes "
        "kümme minutit varem ja võtke kaasa isikut tõendav dokument. Kui te siiski ei saa "
        "tulla, andke sellest teada vähemalt ööpäev ette, et saaksime selle aja pakkuda "
        "mõnele teisele patsiendile.",
    ),
    "gu": (
        "મારું વીજળીનું બિલ આટલું વધારે કેમ આવ્યું?",
        "તમારું આ મહિનાનું વીજળીનું બિલ ગયા મહિના કરતાં વધારે આવ્યું છે, કારણ કે મીટરની નોંધ "
        "પ્રમાણે વપરાશ વધ્યો છે. ઉનાળામાં પંખા અને કૂલરનો વધુ ઉપયોગ થવાથી ઘણીવાર આવું બને છે. "
        "બિલની રકમ ભરવાની છેલ્લી તારીખ આ મહિનાની 15 તારીખ છે, ત્યાર પછી વિલંબ શુલ્ક લાગશે. જો "
        "તમને લાગે કે મીટરમાં કોઈ ખામી છે, તો અમે તપાસ માટે અમારા કર્મચારીને તમારા ઘરે મોકલી "
        "શકીએ છીએ.",
    ),
    "he": (
        "איך אני מבטל את המנוי שלי למכון הכושר?",
        "ניתן לבטל את המנוי למכון הכושר בכל עת וללא קנס, בתנאי שתודיעו לנו על כך לפחות 14 יום "
        "מראש. את הבקשה אפשר להגיש בדלפק הקבלה או בשיחת טלפון למוקד שירות הלקוחות. לאחר "
        "הביטול תקבלו אישור בכתב לכתובת הדואר האלקטרוני שלכם. שימו לב שהחיוב האחרון יבוצע "
        "בסוף החודש הנוכחי, והמנוי יישאר בתוקף עד אז.",
    ),
    "hr": (
        "Kada će stići moja narudžba namirnica?",
        "Vaša narudžba s kruhom, mlijekom i ostalim namirnicama bit će dostavljena u utorak "
        "između 16 i 18 sati. Ako u to vrijeme nitko ne bude kod kuće, dostavljač će vas "
        "nazvati pola sata prije dolaska i dogovoriti tko može preuzeti paket. Dostava je "
        "besplatna za narudžbe iznad 40 eura, a narudžbu možete izmijeniti najkasnije dan "
        "prije isporuke. Ako vam neki proizvod ne odgovara, možete ga vratiti u roku od "
        "tjedan dana uz račun.",
    ),
    "hu": (
        "Miért nem működik az internet a lakásomban?",
        "Tájékoztatjuk, hogy az Ön lakóhelyén jelenleg hálózati karbantartás folyik, ezért az "
        "internetszolgáltatás átmenetileg nem elérhető. Szerelőink várhatóan ma délután négy "
        "óráig elhárítják a hibát. Addig kérjük, ne kapcsolja ki és be ismételten a "
        "készüléket, mert ez nem gyorsítja a helyreállítást. A kiesés idejére járó "
        "díjcsökkentést a következő havi számlán automatikusan jóváírjuk.",
    ),
    "id": (
        "Apa yang harus saya lakukan jika kartu debit saya hilang?",
        "Jika kartu debit Anda hilang, segera hubungi layanan nasabah kami yang siap membantu "
        "24 jam agar kartu tersebut dapat diblokir. Setelah itu, silakan datang ke kantor "
        "cabang terdekat dengan membawa KTP asli dan buku tabungan untuk mengurus kartu "
        "pengganti. Biaya penggantian kartu adalah Rp15.000 dan akan dipotong langsung dari "
        "saldo rekening Anda. Kartu baru biasanya bisa diambil pada hari yang sama, karena "
        "proses pencetakannya dilakukan langsung di kantor cabang.",
    ),
    "is": (
        "Hvenær er sundlaugin opin?",
        "Sundlaugin er opin alla virka daga frá klukkan 6.30 til 22.00 og um helgar frá "
        "klukkan 9 til 18. Á stórhátíðardögum er opnunartíminn styttri og því mælum við með "
        "að þú skoðir heimasíðuna okkar áður en þú leggur af stað. Börn yngri en tíu ára "
        "þurfa að vera í fylgd með fullorðnum. Í afgreiðslunni er líka hægt að kaupa kort með "
        "tíu miðum á afsláttarverði.",
    ),
    "it": (
        "Posso spostare l'appuntamento per il tagliando?",
        "Possiamo senz'altro spostare il tagliando della sua auto a un altro giorno. Al "
        "momento la prima data disponibile è giovedì prossimo alle 8:30; il controllo dura "
        "circa due ore e nel frattempo può attendere nella nostra sala d'aspetto oppure "
        "usufruire di un'auto sostitutiva. Le ricordiamo di portare con sé il libretto di "
        "manutenzione. Se l'orario non le va bene, ce lo faccia sapere e cercheremo insieme "
        "un'alternativa.",
    ),
    "ka": (
        "სად არის ჩემი ბარგი?",
        "ბოდიშს გიხდით შეფერხებისთვის. თქვენი ჩემოდანი, სამწუხაროდ, შეცდომით სხვა რეისით "
        "გაიგზავნა და ხვალ დილით ჩამოვა თბილისის აეროპორტში. როგორც კი ბარგი ჩამოვა, ჩვენი "
        "კურიერი მას უფასოდ მოგიტანთ თქვენ მიერ მითითებულ მისამართზე. თუ მანამდე აუცილებელი "
        "ნივთების ყიდვა მოგიწევთ, გთხოვთ, შეინახოთ ქვითრები, რათა ხარჯები აგინაზღაუროთ.",
    ),
    "lt": (
        "Kur galiu atsiimti savo siuntą?",
        "Jūsų siunta jau pristatyta į pasirinktą paštomatą. Paštomatas veikia visą parą, "
        "todėl siuntą galite atsiimti jums patogiu metu. Atsiėmimo kodą išsiuntėme trumpąja "
        "žinute, jis galioja 3 dienas. Jei per šį laiką siuntos neatsiimsite, ji bus grąžinta "
        "siuntėjui. Prireikus saugojimo terminą galite vieną kartą nemokamai pratęsti mūsų "
        "programėlėje arba paskambinę klientų aptarnavimo skyriui.",
    ),
    "mr": (
        "माझा गॅस सिलिंडर कधी मिळेल?",
        "तुमच्या गॅस सिलिंडरची नोंदणी यशस्वीरीत्या झाली आहे. सिलिंडर पुढील दोन ते तीन दिवसांत "
        "तुमच्या घरी पोहोचवला जाईल. सिलिंडर घेताना कृपया तुमचे ग्राहक कार्ड जवळ ठेवा; पैसे "
        "रोख किंवा मोबाईलद्वारे भरता येतील. रिकामा सिलिंडर परत द्यायला विसरू नका. जर चार "
        "दिवसांनंतरही सिलिंडर मिळाला नाही, तर आमच्या ग्राहक सेवा केंद्राशी संपर्क साधा.",
    ),
    "ms": (
        "Bagaimana saya boleh memperbaharui insurans kereta saya?",
        "Terima kasih kerana menghubungi kami. Polisi insurans kereta anda akan tamat tempoh "
        "pada hujung bulan ini, jadi kami sarankan anda memperbaharuinya sekurang-kurangnya "
        "seminggu lebih awal. Anda boleh membuat bayaran di mana-mana cawangan kami atau "
        "melalui perbankan dalam talian, dan cukai jalan boleh diperbaharui serentak tanpa "
        "sebarang caj tambahan. Pelanggan yang memperbaharui polisi sebelum tarikh akhir juga "
        "layak menerima pemeriksaan kereta percuma, jadi anda dapat menjimatkan wang.",
    ),
    "nl": (
        "Wat moet ik doen met mijn energiecontract als ik verhuis?",
        "Als u gaat verhuizen, kunt u uw energiecontract eenvoudig meenemen naar uw nieuwe "
        "adres. Geef de verhuizing uiterlijk vijf werkdagen van tevoren aan ons door, samen "
        "met de meterstanden op de dag van de sleuteloverdracht. Wij passen daarna uw "
        "maandelijkse termijnbedrag aan op basis van het verwachte verbruik in de nieuwe "
        "woning. U ontvangt binnen twee weken een schriftelijke bevestiging van de wijziging.",
    ),
    "pt": (
        "Posso cancelar a minha reserva do hotel?",
        "A sua reserva pode ser cancelada sem qualquer custo até 48 horas antes da data de "
        "chegada. Depois desse prazo, será cobrado o valor correspondente à primeira noite de "
        "estadia. Para cancelar, basta contactar a nossa receção por telefone ou utilizar a "
        "área de cliente no nosso sítio. Caso pretenda apenas alterar as datas, teremos todo "
        "o gosto em verificar a disponibilidade para o período que preferir.",
    ),
    "ro": (
        "Cum pot transmite indexul contorului de apă?",
        "Indexul contorului de apă se transmite lunar, între 20 și 25 ale lunii, fie "
        "telefonic, fie din contul dumneavoastră de client. Dacă nu ne comunicați indexul la "
        "timp, factura va fi emisă pe baza unui consum estimat, care se regularizează "
        "ulterior. Plata se poate face la orice ghișeu poștal sau prin transfer bancar, fără "
        "comision suplimentar. Vă mulțumim pentru înțelegere și vă stăm la dispoziție pentru "
        "orice alte întrebări.",
    ),
    "ru": (
        "Я забыл зонт в такси. Как мне его вернуть?",
        "Мы связались с водителем, и он подтвердил, что ваш зонт остался в машине. Забрать "
        "его можно в нашем офисе в будние дни с девяти утра до шести вечера. При себе "
        "необходимо иметь паспорт или другой документ, удостоверяющий личность. Если вам так "
        "удобнее, водитель может привезти зонт по вашему адресу, но эта услуга платная и "
        "стоит 300 рублей.",
    ),
    "rw": (
        "Fagitire yanjye y'amazi izaboneka ryari?",
        "Murakoze kutwandikira. Fagitire yanyu y'amazi y'uku kwezi izaboneka bitarenze ku "
        "itariki ya 5. Mushobora kuyishyura ku ishami ryacu cyangwa mukoresheje telefoni "
        "yanyu igendanwa. Niba mubona ko amafaranga mwishyuzwa ari menshi kurusha uko "
        "bisanzwe, muduhamagare kugira ngo abakozi bacu baze kugenzura mubazi yanyu.",
    ),
    "si": (
        "මගේ වෛද්‍ය හමුව කවදාද?",
        "ඔබගේ වෛද්‍ය හමුව හෙට උදේ 9.30ට තහවුරු කර ඇත. කරුණාකර නියමිත වේලාවට මිනිත්තු පහළොවකට "
        "පෙර රෝහලේ පිළිගැනීමේ කවුළුව වෙත පැමිණෙන්න. ඔබගේ ජාතික හැඳුනුම්පත සහ පෙර වෛද්‍ය "
        "වාර්තා රැගෙන ඒමට අමතක නොකරන්න. හමුව අවලංගු කිරීමට අවශ්‍ය නම්, අවම වශයෙන් පැය "
        "විසිහතරකට පෙර අපට දුරකථනයෙන් දැනුම් දෙන්න.",
    ),
    "sl": (
        "Kdaj bo serviser prišel popraviti ogrevanje?",
        "Hvala za vaše sporočilo. Serviser bo prišel k vam v sredo med deveto in dvanajsto "
        "uro, da pregleda peč za centralno ogrevanje. Prosimo, da je v tem času nekdo doma in "
        "da omogočite dostop do kotlovnice. Če je okvara krita z garancijo, za popravilo ne "
        "boste plačali ničesar; v nasprotnem primeru vam bomo pred začetkom dela sporočili "
        "predvideno ceno.",
    ),
    "tl": (
        "Bakit po mawawalan ng tubig bukas?",
        "Magandang araw po. May nakatakdang pagkukumpuni sa mga tubo ng tubig sa inyong lugar "
        "bukas, kaya pansamantalang mawawalan ng tubig mula alas-otso ng umaga hanggang "
        "alas-tres ng hapon. Ipinapayo po naming mag-ipon kayo ng sapat na tubig ngayong gabi "
        "para sa pagluluto at paglilinis. Kung hindi pa rin bumabalik ang daloy ng tubig "
        "pagkatapos ng nasabing oras, huwag po kayong mag-atubiling tumawag sa aming "
        "tanggapan.",
    ),
    "ur": (
        "میرے منسوخ شدہ ٹکٹ کی رقم کب واپس ملے گی؟",
        "آپ کی درخواست پر آپ کا ریل ٹکٹ منسوخ کر دیا گیا ہے۔ قواعد کے مطابق کرائے میں سے دس "
        "فیصد کٹوتی کی جائے گی، اور باقی رقم سات سے دس کاروباری دنوں کے اندر آپ کے بینک کھاتے "
        "میں واپس بھیج دی جائے گی۔ اگر مقررہ مدت گزرنے کے بعد بھی رقم موصول نہ ہو تو براہ کرم "
        "اپنا ٹکٹ نمبر لے کر ہمارے قریبی دفتر سے رابطہ کریں۔ ہمیں آپ کو پیش آنے والی زحمت پر "
        "افسوس ہے۔",
    ),
}

# The same answer in more languages (script, word length and stop words vary).
ANSWERS: dict[str, str] = {
    "sv": "Tack för kontoutdraget. Jag ser att marsfakturan från din mjölleverantör har "
          "dragits två gånger, den fjärde och igen den sjätte, med 1 240,50 euro varje gång. "
          "Eftersom det är en SEPA-autogirodragning har du åtta veckor från dragningsdagen på "
          "dig att begära återbetalning utan att ange något skäl. Jag öppnar ärendet för den "
          "andra dragningen i dag, och pengarna bör vara tillbaka på ditt konto inom tio "
          "arbetsdagar.",
    "pl": "Dziękuję za przesłanie wyciągu. Widzę, że marcowa faktura od dostawcy mąki została "
          "pobrana dwa razy, czwartego i ponownie szóstego, za każdym razem na kwotę 1240,50 "
          "euro. Ponieważ jest to polecenie zapłaty SEPA, ma pani osiem tygodni od daty "
          "obciążenia, aby zażądać zwrotu bez podawania przyczyny. Jeszcze dziś złożę wniosek "
          "dotyczący drugiego obciążenia, a pieniądze powinny wrócić na konto w ciągu "
          "dziesięciu dni roboczych.",
    "sw": "Asante kwa kutuma taarifa ya akaunti. Ninaona kwamba ankara ya mwezi Machi kutoka "
          "kwa msambazaji wako wa unga ilikatwa mara mbili, tarehe nne na tena tarehe sita, "
          "kila mara shilingi elfu hamsini. Kwa kuwa hili ni kato la moja kwa moja, una wiki "
          "nane tangu tarehe ya kukatwa kuomba urejeshewe pesa bila kutoa sababu yoyote. "
          "Nitafungua ombi la kurejesha kato la pili leo, na pesa zinapaswa kurudi kwenye "
          "akaunti yako ndani ya siku kumi za kazi.",
    "vi": "Cảm ơn anh đã gửi bảng sao kê. Tôi thấy hóa đơn tháng Ba của nhà cung cấp bột mì "
          "đã bị trừ tiền hai lần, vào ngày 4 và ngày 6, mỗi lần 1.240,50 euro. Vì đây là "
          "khoản ghi nợ trực tiếp, anh có tám tuần kể từ ngày bị trừ tiền để yêu cầu hoàn lại "
          "mà không cần nêu lý do. Hôm nay tôi sẽ mở yêu cầu hoàn tiền cho lần trừ thứ hai, và "
          "số tiền sẽ được trả lại vào tài khoản của anh trong vòng mười ngày làm việc.",
    "ca": "Gràcies per enviar l'extracte. Veig que la factura de març del vostre proveïdor de "
          "farina s'ha cobrat dues vegades, el dia 4 i de nou el dia 6, per 1.240,50 euros "
          "cada vegada. Com que es tracta d'un rebut domiciliat SEPA, teniu vuit setmanes des "
          "de la data del càrrec per demanar-ne la devolució sense donar cap explicació. Avui "
          "mateix obriré la sol·licitud per al segon càrrec, i els diners haurien de tornar al "
          "vostre compte en deu dies feiners.",
    "no": "Takk for kontoutskriften. Jeg ser at marsfakturaen fra melleverandøren din er "
          "trukket to ganger, den fjerde og igjen den sjette, med 1 240,50 euro hver gang. "
          "Siden dette er et SEPA-avtaletrekk, har du åtte uker fra trekkdatoen til å kreve "
          "pengene tilbake uten å oppgi noen grunn. Jeg åpner saken for det andre trekket i "
          "dag, og pengene skal være tilbake på kontoen din innen ti virkedager.",
    "ko": "명세서를 보내 주셔서 감사합니다. 3월에 밀가루 공급업체의 청구서가 4일과 6일에 두 번, "
          "매번 1,240.50유로씩 출금된 것을 확인했습니다. 이것은 SEPA 자동이체이므로 출금일로부터 "
          "8주 이내에 이유를 밝히지 않고 환불을 요청하실 수 있습니다. 오늘 두 번째 출금에 대한 "
          "환불 신청을 접수하겠으며, 돈은 영업일 기준 10일 이내에 고객님의 계좌로 돌아올 "
          "것입니다.",
    "fi": "Kiitos tiliotteen lähettämisestä. Näen, että jauhotoimittajanne maaliskuun lasku on "
          "veloitettu kahdesti, neljäntenä ja uudelleen kuudentena päivänä, kummallakin "
          "kerralla 1 240,50 euroa. Koska kyseessä on SEPA-suoraveloitus, teillä on kahdeksan "
          "viikkoa veloituspäivästä aikaa vaatia palautusta ilman perusteluja. Avaan "
          "palautuspyynnön toisesta veloituksesta tänään, ja rahojen pitäisi palata tilillenne "
          "kymmenen arkipäivän kuluessa.",
    "tr": "Hesap özetini gönderdiğiniz için teşekkür ederim. Un tedarikçinizin mart "
          "faturasının ayın dördünde ve altısında olmak üzere iki kez, her seferinde 1.240,50 "
          "avro olarak tahsil edildiğini görüyorum. Bu bir SEPA otomatik ödemesi olduğundan, "
          "tahsilat tarihinden itibaren sekiz hafta içinde herhangi bir gerekçe göstermeden "
          "iade talep edebilirsiniz. İkinci tahsilat için iade talebini bugün açıyorum ve "
          "paranın on iş günü içinde hesabınıza geri dönmesi gerekiyor.",
    "hi": "खाते का विवरण भेजने के लिए धन्यवाद। मैं देख रहा हूँ कि आपके आटा आपूर्तिकर्ता का मार्च "
          "का बिल दो बार काटा गया, चार तारीख को और फिर छह तारीख को, हर बार 1240 यूरो। क्योंकि "
          "यह सीधा डेबिट है, आप कटौती की तारीख से आठ सप्ताह के भीतर बिना कोई कारण बताए "
          "धनवापसी माँग सकते हैं। मैं आज ही दूसरी कटौती के लिए अनुरोध खोल रहा हूँ, और पैसा दस "
          "कार्य दिवसों के भीतर आपके खाते में वापस आ जाना चाहिए।",
    "ta": "கணக்கு அறிக்கையை அனுப்பியதற்கு நன்றி. உங்கள் மாவு விநியோகஸ்தரின் மார்ச் மாத "
          "விலைப்பட்டியல் இரண்டு முறை பணம் எடுக்கப்பட்டதை நான் பார்க்கிறேன். இது நேரடி பற்று "
          "என்பதால், பணம் எடுக்கப்பட்ட தேதியிலிருந்து எட்டு வாரங்களுக்குள் எந்த காரணமும் "
          "சொல்லாமல் பணத்தைத் திரும்பக் கேட்கலாம். இன்றே இரண்டாவது பற்றுக்கான கோரிக்கையைத் "
          "தொடங்குகிறேன், பணம் பத்து வேலை நாட்களுக்குள் உங்கள் கணக்கிற்குத் திரும்ப வரும்.",
    "th": "ขอบคุณที่ส่งใบแจ้งยอดบัญชีมาให้ครับ ผมเห็นว่าใบแจ้งหนี้เดือนมีนาคมจากผู้จัดส่งแป้ง"
          "ของคุณถูกหักเงินสองครั้ง ในวันที่สี่และวันที่หก ครั้งละ 1,240.50 ยูโร "
          "เนื่องจากเป็นการหักบัญชีอัตโนมัติ คุณมีเวลาแปดสัปดาห์นับจากวันที่ถูกหักเงินเพื่อขอคืน"
          "เงินโดยไม่ต้องให้เหตุผล ผมจะเปิดคำขอคืนเงินสำหรับการหักครั้งที่สองวันนี้ "
          "และเงินควรจะกลับเข้าบัญชีของคุณภายในสิบวันทำการ",
}

# English exchanges with figures, a table, a list, headings: formats a good reply uses.
TABLE_EXCHANGE = (
    "We need mobile plans for the shop's two phones. Which one fits if we use about 14 GB a "
    "month each and would rather not sign a long contract?",
    "Here is the comparison you asked for:\n\n"
    "| Plan | Monthly fee | Data | Contract |\n"
    "|------|-------------|------|----------|\n"
    "| Basic | 9.99 EUR | 5 GB | none |\n"
    "| Plus | 14.99 EUR | 20 GB | 12 months |\n"
    "| Max | 24.99 EUR | unlimited | 24 months |\n\n"
    "The Plus plan fits your usage best: 20 GB leaves room above your 14 GB, and its contract "
    "is the shortest of the two that cover you.",
)
FIGURES_EXCHANGE = (
    "And what would the Plus plan cost us over a full year, including the 25 EUR activation "
    "fee?",
    "Twelve months at 14.99 EUR come to 179.88 EUR, and with the 25 EUR activation fee the "
    "first year costs 204.88 EUR per phone, so 409.76 EUR for both. From the second year on "
    "you pay only the monthly fee, unless the price list changes on 1 January.",
)
LIST_EXCHANGE = (
    "What exactly do I have to send you to dispute the second debit?",
    "## What to send\n\n"
    "To dispute the debit, please do the following:\n"
    "1. Download the statement for March from online banking.\n"
    "2. Mark both debits of 1,240.50 EUR with their date and the mandate reference.\n"
    "3. Ask the supplier for a written confirmation that the second debit was a mistake.\n"
    "4. Send the three documents to us through the secure message centre.\n\n"
    "Keep the case number we send you for any later questions; the refund itself usually "
    "takes about a week once everything is in.",
)
# Code, in a scenario about software (where the request asks for it).
CODE_EXCHANGE = (
    "Our nightly export script crashes when the CSV file has an empty line in it. The loop "
    "is `for row in reader: total += float(row[2])`. How do I skip the blank rows?",
    "The reader yields an empty list for a blank line, so indexing it fails. Skip such rows "
    "before you convert the amount:\n\n"
    "```python\n"
    "for row in reader:\n"
    "    if not row:\n"
    "        continue\n"
    "    total += float(row[2])\n"
    "```\n\n"
    "If some lines hold only spaces, test `not any(cell.strip() for cell in row)` instead, "
    "which treats those lines as blank too.",
)
# Short turns a real conversation has: no word statistic applies to them.
SHORT_TURNS = ("Thanks!", "Yes, please go ahead.", "2 adults, 1 child, 3 nights.",
               "Room 4B.", "See you at 10am then.", "OK", "Perfect, thank you very much.",
               # codes, units, ordinals and placeholders that short turns cite
               "Flight BA2490, gate B12?", "Flights LH400 or LX318?", "10am or 2pm?",
               "The 3rd or the 4th?", "Is it 5kg or 10kg?", "My postcode is SW1A 2AA.",
               "Use {first_name} in the greeting, please.",
               'The label reads "Net weight": 500 g, is that right?',
               "We need both bank statements (March and April); can you upload them?")

# Figures where prose holds figures: a timetable, a table of numbers, a list of items
# ending in parentheses, quarter codes in a sentence, a template's placeholders.
SCHEDULE_EXCHANGE = (
    "When are you open, and how did the last year go for the shop?",
    "| Day | Opening hours | Staff |\n|---|---|---|\n| Monday | 07:00-13:00 | 2 |\n"
    "| Tuesday | 07:00-13:00 | 2 |\n| Wednesday | 07:00-19:00 | 3 |\n"
    "| Saturday | 08:00-12:00 | 1 |\n\n"
    "| Quarter | Sales | Costs | Margin |\n|---|---|---|---|\n| Q1 | 120 | 80 | 33% |\n"
    "| Q2 | 135 | 90 | 33% |\n| Q3 | 150 | 96 | 36% |\n| Q4 | 170 | 101 | 41% |\n\n"
    "Sales by quarter rose from Q1 to Q4, and the year closed at 575 thousand, up 12% on "
    "the year before. To order, bring these:\n- both bank statements (March and April);\n"
    "- your passport (valid for six months);\n- the signed form (page 2).\nIn the "
    "confirmation e-mail we write {first_name} where your name goes, and {{ order_id }} "
    "for the order; the train from the station leaves at 07:15 and arrives at 09:05.",
)

# Excerpts of public-domain novels (Project Gutenberg), kept verbatim.
BOOK_EXCERPTS = {
    "pride_and_prejudice": (
        "It is a truth universally acknowledged, that a single man in possession of a good "
        "fortune must be in want of a wife. However little known the feelings or views of "
        "such a man may be on his first entering a neighbourhood, this truth is so well fixed "
        "in the minds of the surrounding families, that he is considered as the rightful "
        "property of some one or other of their daughters."
    ),
    "alice_in_wonderland": (
        "Alice was beginning to get very tired of sitting by her sister on the bank, and of "
        "having nothing to do: once or twice she had peeped into the book her sister was "
        "reading, but it had no pictures or conversations in it, “and what is the use of a "
        "book,” thought Alice “without pictures or conversations?”"
    ),
    "time_machine": (
        "The Time Traveller (for so it will be convenient to speak of him) was expounding a "
        "recondite matter to us. His pale grey eyes shone and twinkled, and his usually pale "
        "face was flushed and animated. The fire burnt brightly, and the soft radiance of the "
        "incandescent lights in the lilies of silver caught the bubbles that flashed and "
        "passed in our glasses."
    ),
    "jekyll_and_hyde": (
        "Mr. Utterson the lawyer was a man of a rugged countenance that was never lighted by "
        "a smile; cold, scanty and embarrassed in discourse; backward in sentiment; lean, "
        "long, dusty, dreary and yet somehow lovable. At friendly meetings, and when the wine "
        "was to his taste, something eminently human beaconed from his eye; something indeed "
        "which never found its way into his talk, but which spoke not only in these silent "
        "symbols of the after-dinner face, but more often and loudly in the acts of his life."
    ),
    "wonderful_wizard_of_oz": (
        "Dorothy lived in the midst of the great Kansas prairies, with Uncle Henry, who was a "
        "farmer, and Aunt Em, who was the farmer’s wife. Their house was small, for the "
        "lumber to build it had to be carried by wagon many miles. There were four walls, a "
        "floor and a roof, which made one room; and this room contained a rusty looking "
        "cookstove, a cupboard for the dishes, a table, three or four chairs, and the beds."
    ),
}
